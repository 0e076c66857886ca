"""An example Hostmaster plugin: each site has an environment, chosen on the site form.

The value takes every hop a plugin field can take: the front end stores it with the site
(``front_end``), sends it to provision as the context property ``site_environment``, and
provision (``back_end``) writes it into the site's settings file as the PHP constant
``HOSTMASTER_ENVIRONMENT`` and into its vhost as the variable ``HOSTMASTER_ENVIRONMENT``. Since
it lives in the site's context, every verify, migrate or clone writes it again.

Install it with ``pip install contrib/plugins/site_environment`` into Hostmaster's environment,
then switch it on: ``hostmaster feature enable site_environment``.
"""

#: The environments a site can be in, as (value, label).
ENVIRONMENTS = (
    ("production", "Production"),
    ("staging", "Staging"),
    ("development", "Development"),
)
#: The context property that carries the value to provision.
PROPERTY = "site_environment"
#: The name PHP sees: a constant in the settings file, a variable from the vhost.
PHP_NAME = "HOSTMASTER_ENVIRONMENT"
