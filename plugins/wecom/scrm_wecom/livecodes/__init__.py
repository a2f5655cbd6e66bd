"""Channel live codes ("contact me" QR codes): WeCom contact ways with their employees, tags, own welcome, QR
images with the brand logo and per-code statistics. ``friends`` registers the ``lc:`` state prefix with the welcome
router when imported (``welcome.handlers`` imports it)."""
