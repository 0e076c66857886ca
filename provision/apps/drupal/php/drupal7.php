<?php
/**
 * @file
 * Hostmaster's Drupal 7 helper: installs a site, makes a one-time login link, runs the
 * pending database updates ("update") or clears the caches ("clear_caches").
 *
 * Run as `php drupal7.php` with one JSON object on standard input (never on the command line,
 * since it holds the database password): action ("install", "login_link",
 * "update" or "clear_caches"), root, uri,
 * db (the db_* values of the site's credentials file), and for an install profile, language,
 * site_mail and admin_mail. The answer is the last line starting with "HOSTMASTER-RESULT ".
 */

error_reporting(E_ALL & ~E_DEPRECATED & ~E_STRICT & ~E_NOTICE);

require_once __DIR__ . '/../../php/request.php';

/**
 * Runs the pending update functions of every enabled module, as update.php does; returns the
 * names of the functions run.
 */
function hostmaster_drupal7_update() {
  require_once DRUPAL_ROOT . '/includes/install.inc';
  require_once DRUPAL_ROOT . '/includes/update.inc';
  drupal_load_updates();
  $ran = array();
  foreach (update_get_update_list() as $module => $info) {
    if (!empty($info['warning'])) {
      throw new Exception(strip_tags($info['warning']));
    }
    foreach (array_keys($info['pending']) as $number) {
      $function = $module . '_update_' . $number;
      $sandbox = array();
      do {
        $function($sandbox);
      } while (isset($sandbox['#finished']) && $sandbox['#finished'] < 1);
      drupal_set_installed_schema_version($module, $number);
      $ran[] = $function;
    }
  }
  return $ran;
}

$request = hostmaster_request();
$uri = $request['uri'];
define('DRUPAL_ROOT', $request['root']);
chdir(DRUPAL_ROOT);

try {
  if ($request['action'] == 'install') {
    $_SERVER['SCRIPT_NAME'] = '/install.php';
    $_SERVER['PHP_SELF'] = '/install.php';
    define('MAINTENANCE_MODE', 'install');
    require_once DRUPAL_ROOT . '/includes/install.core.inc';
    $db = $request['db'];
    $settings = array(
      'parameters' => array(
        'profile' => $request['profile'],
        'locale' => $request['language'],
      ),
      'forms' => array(
        'install_settings_form' => array(
          'driver' => 'mysql',
          'mysql' => array(
            'database' => $db['db_name'],
            'username' => $db['db_user'],
            'password' => $db['db_passwd'],
            'host' => $db['db_host'],
            'port' => $db['db_port'],
            'db_prefix' => '',
          ),
        ),
        'install_configure_form' => array(
          'site_name' => $uri,
          'site_mail' => $request['site_mail'],
          'account' => array(
            'name' => 'admin',
            'mail' => $request['admin_mail'],
            // Nobody ever sees this password: the administrator logs in with the one-time
            // link and sets their own.
            'pass' => array(
              'pass1' => $password = bin2hex(random_bytes(24)),
              'pass2' => $password,
            ),
          ),
          'clean_url' => TRUE,
          // No update checks: they would call drupal.org, which is out of reach here.
          'update_status_module' => array(),
        ),
      ),
    );
    install_drupal($settings);
  }
  else {
    $_SERVER['SCRIPT_NAME'] = '/index.php';
    $_SERVER['PHP_SELF'] = '/index.php';
    if ($request['action'] == 'update') {
      define('MAINTENANCE_MODE', 'update');
    }
    require_once DRUPAL_ROOT . '/includes/bootstrap.inc';
    drupal_bootstrap(DRUPAL_BOOTSTRAP_FULL);
    if ($request['action'] == 'update') {
      hostmaster_finish(array('updates' => hostmaster_drupal7_update()));
    }
    if ($request['action'] == 'clear_caches') {
      drupal_flush_all_caches();
      hostmaster_finish(array('cleared' => TRUE));
    }
  }
  $account = user_load(1);
  if (!$account) {
    hostmaster_finish(array('error' => "The site {$uri} has no administrator account (user 1)."), 1);
  }
  $result = array(
    'login_link' => user_pass_reset_url($account) . '/login',
    'cron_key' => (string) variable_get('cron_key', ''),
    'profile' => (string) variable_get('install_profile', isset($request['profile']) ? $request['profile'] : ''),
    'language' => isset($request['language']) ? $request['language'] : 'en',
  );
  hostmaster_finish($result);
}
catch (Throwable $e) {
  $message = $e->getMessage();
  // Name the form fields Drupal refused, so that the message says what to fix.
  if (function_exists('form_get_errors') && ($errors = form_get_errors())) {
    $message .= ' (fields: ' . implode(', ', array_keys($errors)) . ')';
  }
  hostmaster_finish(array('error' => $message), 1);
}
