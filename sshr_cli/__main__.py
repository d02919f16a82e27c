"""`python -m sshr_cli ...` is the same as `sshr ...` (and what torchrun runs)."""

from sshr_cli.cli import main

if __name__ == "__main__":
    main()
