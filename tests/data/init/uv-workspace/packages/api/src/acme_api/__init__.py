from acme_core import VERSION
