#!/usr/bin/env python
from orderloop.cli import main

if __name__ == "__main__":
    main()
