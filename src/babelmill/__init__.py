"""babelmill: scraped multilingual news dumps -> one clean, deduplicated English corpus."""

__version__ = "0.1.0"
