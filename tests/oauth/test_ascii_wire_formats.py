"""Wire formats are ASCII (issue 13): a device user code typed with characters that only
*case-fold* to its letters (``ſ`` LATIN SMALL LETTER LONG S upper-cases to ``S``) names no code."""

from __future__ import annotations

import pytest


def test_a_user_code_with_non_ascii_look_alikes_is_not_accepted(server, rp, browser) -> None:
    with server.http() as http:
        for _ in range(40):  # a code with an S in it (about one in three has one)
            start = http.post("/api/auth/device/code", data={"client_id": rp.client_id}).json()
            if "S" in start["user_code"]:
                break
        else:
            pytest.fail("no user code with an S in 40 tries")
    browser.sign_in()
    typed = start["user_code"].replace("S", "\u017f")
    page = browser.http.get("/device", params={"user_code": typed})
    assert page.status_code == 400 and "Demo App" not in page.text
    # the ASCII code itself is found
    assert "Demo App" in browser.http.get("/device", params={"user_code": start["user_code"]}).text
