"""A small REST client over Django's test client, authenticating as a real user would."""
import json

from django.test import Client


class Api:
    def __init__(self, username: str, password: str = "orderloop"):
        self.client = Client()
        response = self.client.post("/api/auth/token", json.dumps({"username": username, "password": password}),
                                    content_type="application/json")
        assert response.status_code == 200, response.content
        self.token = response.json()["token"]

    def _headers(self, extra=None):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **(extra or {})}

    def get(self, path, **params):
        return self.client.get(f"/api{path}", params, **self._headers())

    def post(self, path, body=None, raw: str | None = None, headers=None):
        data = raw if raw is not None else json.dumps(body or {})
        return self.client.post(f"/api{path}", data, content_type="application/json", **self._headers(headers))

    def patch(self, path, body):
        return self.client.patch(f"/api{path}", json.dumps(body), content_type="application/json", **self._headers())

    def action(self, ref, action, **payload):
        return self.post(f"/orders/{ref}/actions/{action}", payload)

    def upload(self, path, **fields):
        """A multipart POST (files as SimpleUploadedFile)."""
        return self.client.post(f"/api{path}", fields, **self._headers())
