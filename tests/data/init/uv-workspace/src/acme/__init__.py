from acme_api import VERSION
