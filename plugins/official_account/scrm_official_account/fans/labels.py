"""Labels of the fan area's codes (``code_label``): gender, WeChat's follow scenes (``subscribe_scene``), fan
interaction kinds, sync run statuses, QR code purposes and share-for-gift reward statuses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

SEX = "official_account.sex"
SCENE = "official_account.subscribe_scene"
FAN_EVENT = "official_account.fan_event"
SYNC_STATUS = "official_account.sync_status"
QR_PURPOSE = "official_account.qr_purpose"
REWARD_STATUS = "official_account.reward_status"

register_labels(SEX, {"0": _l("Unknown gender"), "1": _l("Male"), "2": _l("Female")})
register_labels(SCENE, {
    "ADD_SCENE_SEARCH": _l("Searched for the account"),
    "ADD_SCENE_ACCOUNT_MIGRATION": _l("Account migration"),
    "ADD_SCENE_PROFILE_CARD": _l("Shared business card"),
    "ADD_SCENE_QR_CODE": _l("Scanned a QR code"),
    "ADD_SCENE_PROFILE_LINK": _l("Link in an article"),
    "ADD_SCENE_PROFILE_ITEM": _l("Account profile menu"),
    "ADD_SCENE_PAID": _l("After a payment"),
    "ADD_SCENE_WECHAT_ADVERTISEMENT": _l("WeChat advertising"),
    "ADD_SCENE_REPRINT": _l("Reprinted article"),
    "ADD_SCENE_LIVESTREAM": _l("Video channel live stream"),
    "ADD_SCENE_CHANNELS": _l("Video channel"),
    "ADD_SCENE_ARTICLE": _l("Article"),
    "ADD_SCENE_OTHERS": _l("Other source"),
})
register_labels(FAN_EVENT, {"subscribe": _l("Followed"), "unsubscribe": _l("Unfollowed"),
                            "scan": _l("Scanned a parameter QR code"), "message": _l("Sent a message"),
                            "click": _l("Clicked a menu"), "view": _l("Opened a menu link"),
                            "help": _l("Helped a friend's share")})
register_labels(SYNC_STATUS, {"queued": _l("Waiting to sync"), "running": _l("Syncing"), "done": _l("Sync finished"),
                              "failed": _l("Sync stopped")})
register_labels(QR_PURPOSE, {"general": _l("General"), "store": _l("Store code"), "campaign": _l("Campaign code")})
register_labels(REWARD_STATUS, {"pending": _l("To fulfil by hand"), "sent": _l("Reward message sent"),
                                "fulfilled": _l("Fulfilled")})
