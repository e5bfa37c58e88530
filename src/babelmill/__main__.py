"""``python -m babelmill``: the same as the ``babelmill`` command."""

from babelmill.cli import main

if __name__ == "__main__":
    main()
