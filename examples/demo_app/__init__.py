"""The demo relying party: "Sign in with Bitcoin" against a Sigil server (see README.md)."""

from examples.demo_app.app import DemoConfig, create_app

__all__ = ["DemoConfig", "create_app"]
