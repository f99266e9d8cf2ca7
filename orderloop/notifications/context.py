from orderloop.notifications.services import unread_count

SAFE_METHODS = ("GET", "HEAD")


def unread_notifications(request):
    """The menu's unread count: as the session read it (accounts.sessions) for a request that changes nothing,
    counted now for one that may have (a notice read or sent before the page is drawn)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    known = getattr(user, "unread_with_session", None)
    if known is None or request.method not in SAFE_METHODS:
        known = unread_count(user)
    return {"unread_notifications": known}
