// Package ansibletest runs plexform as an Ansible binary module under Debian's
// ansible-playbook: on this machine with connection: local and -root trees, and on
// container hosts of a real Docker engine over the community.docker.docker connection.
// Its tests are its content; see ansible_test.go.
package ansibletest
