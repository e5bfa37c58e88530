"""Reading a finished corpus back: summaries, HTML report, run progress."""
