import sys

from alphafactory.cli import main

sys.exit(main())
