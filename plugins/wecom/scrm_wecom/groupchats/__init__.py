"""Customer group chats of a WeCom corp: the mirror (chats, members, daily join / leave counters) kept by a full
sync and by the ``change_external_chat`` callbacks, the unassigned chats whose owner left and their assignment
through ``groupchat/transfer``, with the assignment records. Pages under ``/t/<tenant>/wecom/groupchats/``."""
