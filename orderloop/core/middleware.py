from django.conf import settings
from django.utils import translation
from django.views.defaults import bad_request


class ChosenLanguageMiddleware:
    """Simplified Chinese unless the user chose another language with the switch
    (the language cookie); the browser's Accept-Language is not consulted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy header on every response (``settings.ORDERLOOP_CSP``): scripts and styles only
    from the app's own static files, no inline code, no framing. A view may set its own header first."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(f"{name} {value}".strip() for name, value in settings.ORDERLOOP_CSP.items())

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class NulRefusedMiddleware:
    """A page asked with the NUL character in its address, query string or form is bad input (400): no page
    asks for one, and no text the database stores can hold it (PostgreSQL refuses it, a server error). The
    API refuses it itself, at the field (422: config/api.py ``TextParser``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and _holds_nul(request):
            return bad_request(request, None)
        return self.get_response(request)


def _holds_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    sources = [request.GET] + ([request.POST] if request.method == "POST" else [])
    return any("\x00" in key or any("\x00" in value for value in values)
               for source in sources for key, values in source.lists())
