"""The reliability scenarios reuse the role harness of tests/integration (role.harness)."""

import os
import sys

_INTEGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration")
if _INTEGRATION not in sys.path:
    sys.path.insert(0, _INTEGRATION)
