import sys

from pkg import greet
from pkg.util import banner


def main() -> None:
    print(banner(greet(sys.argv[1] if len(sys.argv) > 1 else "world")))


if __name__ == "__main__":
    main()
