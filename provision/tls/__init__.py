"""HTTPS for sites: keys and certificates (``certificates``), certificates from an ACME CA
(``acme_order``)."""
