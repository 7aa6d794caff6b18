3.9
==3.9.*,>=3.9.0rc1,<4.0.dev0,>3.8.post1
#!/usr/bin/env python3
# /// script
# requires-python = ">=3.9"
#
# ///
# ///
