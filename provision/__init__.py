"""provision: the back end of Hostmaster.

It keeps named contexts (servers, platforms, sites) as files under the aegir root and does the
real work on them: web server configuration, databases, application codebases. It is a command
line program of its own (`provision`), and the front end's dispatcher runs it as a subprocess in
backend mode (see docs/protocol.md).
"""
