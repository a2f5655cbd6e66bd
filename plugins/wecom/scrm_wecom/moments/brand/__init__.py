"""The brand's Moments look and mobile publishing on the 朋友圈设置 tab (spec §2.1.1): unified background and
signature, employees publishing from the phone (pages in :mod:`.views`, rules in :mod:`..appearance`)."""
