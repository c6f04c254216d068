import sys
from pathlib import Path

# tests/solutions.py holds the exercises' reference solutions
sys.path.insert(0, str(Path(__file__).resolve().parent))
