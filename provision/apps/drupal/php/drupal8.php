<?php
/**
 * @file
 * Hostmaster's Drupal 8+ helper: installs a site or makes a one-time login link.
 *
 * Same request and answer as drupal7.php (JSON on standard input, never on the command line;
 * the answer is the last line starting with "HOSTMASTER-RESULT "), using Drupal 8+'s
 * installer API (install_drupal($class_loader, $settings)) and its kernel.
 */

use Drupal\Core\DrupalKernel;
use Symfony\Component\HttpFoundation\Request;

error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE);

require_once __DIR__ . '/../../php/request.php';

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
    $http_request = Request::createFromGlobals();
    $kernel = DrupalKernel::createFromRequest($http_request, $class_loader, 'prod');
    $kernel->boot();
    $kernel->preHandle($http_request);
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
