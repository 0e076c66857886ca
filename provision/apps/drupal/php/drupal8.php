<?php
/**
 * @file
 * Hostmaster's Drupal 8+ helper: installs a site, makes a one-time login link, runs the
 * pending database updates ("update") or clears the caches ("clear_caches").
 *
 * Same request and answer as drupal7.php (JSON on standard input, never on the command line;
 * the answer is the last line starting with "HOSTMASTER-RESULT "), using Drupal 8+'s
 * installer API (install_drupal($class_loader, $settings)) and its kernel.
 */

use Drupal\Core\DrupalKernel;
use Symfony\Component\HttpFoundation\Request;

error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE);

require_once __DIR__ . '/../../php/request.php';

/**
 * Runs the pending hook_update_N() and post-update functions, as update.php does; returns the
 * names of the functions run.
 */
function hostmaster_drupal8_update($root) {
  require_once $root . '/core/includes/install.inc';
  require_once $root . '/core/includes/update.inc';
  drupal_load_updates();
  $ran = [];
  // Drupal 9.3+ records schema versions through a service; older releases with a function.
  $set_installed = \Drupal::hasService('update.update_hook_registry')
    ? [\Drupal::service('update.update_hook_registry'), 'setInstalledVersion']
    : 'drupal_set_installed_schema_version';
  foreach (update_get_update_list() as $module => $info) {
    if (!empty($info['warning'])) {
      throw new Exception(strip_tags((string) $info['warning']));
    }
    foreach (array_keys($info['pending']) as $number) {
      $function = $module . '_update_' . $number;
      $sandbox = [];
      do {
        $function($sandbox);
      } while (isset($sandbox['#finished']) && $sandbox['#finished'] < 1);
      call_user_func($set_installed, $module, $number);
      $ran[] = $function;
    }
  }
  $post = \Drupal::service('update.post_update_registry');
  foreach ($post->getPendingUpdateFunctions() as $function) {
    $sandbox = [];
    do {
      $function($sandbox);
    } while (isset($sandbox['#finished']) && $sandbox['#finished'] < 1);
    $post->registerInvokedUpdates([$function]);
    $ran[] = $function;
  }
  return $ran;
}

/**
 * Empties the site's cache tables with plain SQL, before Drupal boots: on a new platform (a
 * migrate, a clone) the cached container still names the old platform's module files, and
 * booting with it would load those, or both copies.
 */
function hostmaster_drupal8_forget_caches(array $db) {
  $dsn = "mysql:host={$db['db_host']};port={$db['db_port']};dbname={$db['db_name']}";
  $pdo = new PDO($dsn, $db['db_user'], $db['db_passwd'], [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
  foreach ($pdo->query("SHOW TABLES LIKE 'cache%'")->fetchAll(PDO::FETCH_COLUMN) as $table) {
    $pdo->exec('DELETE FROM `' . str_replace('`', '', $table) . '`');
  }
}

$request = hostmaster_request();
$uri = $request['uri'];
$root = $request['root'];
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $root . '/index.php';
chdir($root);

try {
  $class_loader = require $root . '/autoload.php';
  $db = $request['db'];
  if ($request['action'] == 'install') {
    require_once $root . '/core/includes/install.core.inc';
    $connection = [
      'database' => $db['db_name'],
      'username' => $db['db_user'],
      'password' => $db['db_passwd'],
      'host' => $db['db_host'],
      'port' => $db['db_port'],
      'prefix' => '',
    ];
    $password = bin2hex(random_bytes(24));
    $settings = [
      'parameters' => [
        'profile' => $request['profile'],
        'langcode' => $request['language'],
      ],
      'forms' => [
        // Normally skipped: the cloaked settings.php already holds a valid connection.
        'install_settings_form' => [
          'driver' => 'mysql',
          'mysql' => $connection,
          'Drupal\\mysql\\Driver\\Database\\mysql' => $connection,
        ],
        'install_configure_form' => [
          'site_name' => $uri,
          'site_mail' => $request['site_mail'],
          'account' => [
            'name' => 'admin',
            'mail' => $request['admin_mail'],
            // Nobody ever sees this password: the administrator uses the one-time link.
            'pass' => ['pass1' => $password, 'pass2' => $password],
          ],
          // No update checks: they would call drupal.org, which is out of reach here.
          'enable_update_status_module' => NULL,
          'enable_update_status_emails' => NULL,
        ],
      ],
    ];
    install_drupal($class_loader, $settings);
  }
  else {
    if (in_array($request['action'], ['update', 'clear_caches'])) {
      hostmaster_drupal8_forget_caches($db);
    }
    $http_request = Request::createFromGlobals();
    $kernel = DrupalKernel::createFromRequest($http_request, $class_loader, 'prod');
    $kernel->boot();
    $kernel->preHandle($http_request);
    if ($request['action'] == 'update') {
      hostmaster_finish(['updates' => hostmaster_drupal8_update($root)]);
    }
    if ($request['action'] == 'clear_caches') {
      drupal_flush_all_caches();
      hostmaster_finish(['cleared' => TRUE]);
    }
  }
  $account = \Drupal\user\Entity\User::load(1);
  if (!$account) {
    hostmaster_finish(['error' => "The site {$uri} has no administrator account (user 1)."], 1);
  }
  hostmaster_finish([
    'login_link' => user_pass_reset_url($account) . '/login',
    'cron_key' => (string) \Drupal::state()->get('system.cron_key', ''),
    'profile' => (string) \Drupal::installProfile(),
    'language' => \Drupal::languageManager()->getDefaultLanguage()->getId(),
  ]);
}
catch (Throwable $e) {
  hostmaster_finish(['error' => $e->getMessage()], 1);
}
