"""deploy/render_nginx.py: the template renders to a configuration nginx accepts, and nothing else."""

from __future__ import annotations

import subprocess

import pytest

from render_nginx import render
from support.helpers import need
from support.nginx import NGINX, nginx_available

UPSTREAMS = ["10.0.0.11:8000", "10.0.0.12:8000"]


def test_the_rendered_configuration_passes_nginx_t(tmp_path):
    need(nginx_available(), "nginx (/usr/sbin/nginx)")
    conf = tmp_path / "nginx.conf"
    conf.write_text(render("127.0.0.1:8080", UPSTREAMS, str(tmp_path), user="root"))
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


def test_the_template_fills_in_every_instance_and_path(tmp_path):
    text = render("80", UPSTREAMS, "/var/lib/appointease-nginx/")
    for upstream in UPSTREAMS:
        assert f"server {upstream} max_fails=3 fail_timeout=10s;" in text
    assert "pid /var/lib/appointease-nginx/nginx.pid;" in text
    assert "client_body_temp_path /var/lib/appointease-nginx/client_body;" in text
    assert "listen 80;" in text and "proxy_read_timeout 35s;" in text
    assert "\nuser " not in text  # only rendered when asked for
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"upstreams": ["10.0.0.11:8000; include /etc/passwd"]},
        {"upstreams": []},
        {"listen": "80 default_server; return 200"},
        {"prefix": "/tmp/x; user root"},
        {"prefix": "relative/path"},
        {"user": "root; daemon on"},
        {"worker_processes": "4; daemon on"},
    ],
)
def test_values_that_could_add_a_directive_are_refused(kwargs):
    args = {"listen": "80", "upstreams": UPSTREAMS, "prefix": "/srv/nginx", **kwargs}
    with pytest.raises(ValueError):
        render(args.pop("listen"), args.pop("upstreams"), args.pop("prefix"), **args)
