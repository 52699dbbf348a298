"""The nginx configuration the README's deployment section shows is one nginx accepts
(``nginx -t``, Debian's binary), so the documentation cannot drift into a broken example."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.helpers.instances import NGINX, ROOT, nginx_available, self_signed_certificate

pytestmark = pytest.mark.skipif(not nginx_available(), reason="nginx not installed (apt-get install nginx)")



def test_the_readme_nginx_configuration_is_valid(tmp_path):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", readme, re.S)
    assert len(blocks) == 1, "expected one nginx block in the README"
    site = blocks[0]
    assert "X-Forwarded-For" in site and "X-Forwarded-Proto" in site and "limit_req" in site
    cert, key = self_signed_certificate(tmp_path, "auth.example.com")
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
                    f"http {{\naccess_log off;\nclient_body_temp_path {tmp_path}/body;\n"
                    f"proxy_temp_path {tmp_path}/proxy;\n{site}\n}}\n")
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
