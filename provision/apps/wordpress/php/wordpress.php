<?php
/**
 * @file
 * Hostmaster's WordPress helper: installs a site, makes a password-reset (login) link, runs
 * WordPress's database upgrade ("update") or clears the caches ("clear_caches").
 *
 * Run as `php wordpress.php` with one JSON object on standard input (never on the command
 * line, since it holds the database password): action ("install" or "login_link"), root, uri,
 * db (the db_* values of the site's credentials file), and for an install title, admin_mail
 * and language. The answer is the last line starting with "HOSTMASTER-RESULT ".
 */

error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE);

require_once __DIR__ . '/../../php/request.php';

/**
 * No welcome mail from WordPress itself: there is no MTA here, and Hostmaster sends its own
 * with the login link. Pluggable functions must be defined before WordPress loads.
 */
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {
}

$request = hostmaster_request();
$uri = $request['uri'];
if ($request['action'] == 'install') {
  define('WP_INSTALLING', TRUE);
}
chdir($request['root']);

try {
  require $request['root'] . '/wp-load.php';
  $result = array();
  if ($request['action'] == 'install') {
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    if (is_blog_installed()) {
      hostmaster_finish(array('error' => "WordPress is already installed in the database of {$uri}; empty the database to install again."), 1);
    }
    $language = $request['language'] == 'en' ? '' : $request['language'];
    // Nobody ever sees this password: the administrator sets their own through the link.
    $installed = wp_install($request['title'], 'admin', $request['admin_mail'], TRUE, '', wp_slash(wp_generate_password(32, TRUE, TRUE)), $language);
    if (is_wp_error($installed) || empty($installed['user_id'])) {
      $message = is_wp_error($installed) ? $installed->get_error_message() : 'no administrator was created';
      hostmaster_finish(array('error' => "WordPress could not be installed: $message."), 1);
    }
    $cron_key = rtrim(strtr(base64_encode(random_bytes(24)), '+/', '-_'), '=');
    update_option('hostmaster_cron_key', $cron_key);
    $result['cron_key'] = $cron_key;
    $result['language'] = $request['language'];
  }
  elseif ($request['action'] == 'update') {
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    global $wp_db_version;
    $before = (int) get_option('db_version');
    $updates = array();
    if ($before != $wp_db_version) {
      wp_upgrade();
      $updates[] = "wp_upgrade ($before to $wp_db_version)";
    }
    hostmaster_finish(array('updates' => $updates));
  }
  elseif ($request['action'] == 'clear_caches') {
    global $wpdb;
    wp_cache_flush();
    $wpdb->query("DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_%' OR option_name LIKE '\\_site\\_transient\\_%'");
    hostmaster_finish(array('cleared' => TRUE));
  }
  else {
    $result['cron_key'] = (string) get_option('hostmaster_cron_key', '');
  }
  $user = get_user_by('login', 'admin');
  if (!$user) {
    hostmaster_finish(array('error' => "The site {$uri} has no administrator account named admin."), 1);
  }
  $key = get_password_reset_key($user);
  if (is_wp_error($key)) {
    hostmaster_finish(array('error' => 'No password-reset key could be made: ' . $key->get_error_message()), 1);
  }
  $result['login_link'] = 'http://' . $uri . '/wp-login.php?action=rp&key=' . rawurlencode($key) . '&login=' . rawurlencode($user->user_login);
  $result['profile'] = 'standard';
  hostmaster_finish($result);
}
catch (Throwable $e) {
  hostmaster_finish(array('error' => $e->getMessage()), 1);
}
