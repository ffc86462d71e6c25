"""lockin-audit: which IT assets are held in your provider's name, not yours."""

__version__ = "0.1.0"
