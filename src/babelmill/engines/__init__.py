"""Engines that run the per-document stages somewhere other than this process."""
