<?php
/**
 * @file
 * The request and answer of Hostmaster's PHP helpers, shared by every driver's helper.
 *
 * A helper is run as `php <helper>.php` with one JSON object on standard input (never on the
 * command line, since it holds the database password): action, root, uri, db (the
 * db_* values of the site's credentials file), and what the action needs. Its answer is the
 * last line starting with "HOSTMASTER-RESULT " (provision/apps/helper.py reads it).
 */

/**
 * Prints the result line and stops; whatever the application printed is dropped.
 */
function hostmaster_finish(array $result, $status = 0) {
  while (ob_get_level() > 0) {
    ob_end_clean();
  }
  print "\nHOSTMASTER-RESULT " . json_encode($result) . "\n";
  exit($status);
}

/**
 * Reports a fatal PHP error as a result line instead of a bare exit.
 */
function hostmaster_shutdown() {
  $error = error_get_last();
  if ($error && in_array($error['type'], array(E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR, E_USER_ERROR))) {
    hostmaster_finish(array('error' => 'PHP stopped: ' . $error['message'] . ' in ' . $error['file'] . ':' . $error['line'] . '.'), 1);
  }
}

/**
 * Reads the request and fakes a web request for the site, as the vhost would serve it: the
 * host, and the database account in $_SERVER, where the cloaked settings file takes it when no
 * credentials file is named (the helper runs beside, not inside, the web server).
 * SERVER_SOFTWARE stays unset, so applications know they run from the command line.
 */
function hostmaster_request() {
  $request = json_decode(stream_get_contents(STDIN), TRUE);
  if (!is_array($request)) {
    hostmaster_finish(array('error' => 'The helper expects a JSON object on standard input.'), 1);
  }
  register_shutdown_function('hostmaster_shutdown');
  ob_start();
  $_SERVER['HTTP_HOST'] = $request['uri'];
  $_SERVER['SERVER_NAME'] = $request['uri'];
  $_SERVER['SERVER_PORT'] = 80;
  $_SERVER['REMOTE_ADDR'] = '127.0.0.1';
  $_SERVER['REQUEST_METHOD'] = 'GET';
  $_SERVER['REQUEST_URI'] = '/';
  unset($_SERVER['SERVER_SOFTWARE'], $_SERVER['HTTPS']);
  foreach ($request['db'] as $key => $value) {
    $_SERVER[$key] = (string) $value;
  }
  return $request;
}
