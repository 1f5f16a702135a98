/* SPDX-License-Identifier: ISC */
/* worker.h - a pre-forked worker child and the wire between it and us. */
#ifndef JOBQ_WORKER_H
#define JOBQ_WORKER_H

#include <sys/types.h>

#include <jansson.h>

/*
 * Messages are a 4-byte big-endian length and that many bytes of JSON
 * (docs/internals.md).  The cap leaves room for a JOBQ_MAX_RESULT
 * result even when every byte needs a six-byte escape.
 */
#define WIRE_MAX	(16 * 1024 * 1024)

/* Send msg on fd, retrying short writes; 0, or -1 with errno set. */
int	 wire_send(int fd, json_t *msg);

/*
 * Read one message from fd into *msg (caller decrefs).  Returns 1, 0 at
 * end of file before a message starts, or -1 on error or a bad message.
 */
int	 wire_recv(int fd, json_t **msg);

/*
 * The body of a worker child: serves jobs from fd until the parent
 * closes it.  parent is the pid the child expects as its parent; if
 * that one has already died the child leaves at once.  Never returns.
 */
void	 worker_main(int fd, pid_t parent) __attribute__((noreturn));

/* "SIGKILL" and friends, or "signal N" (static buffer). */
const char *signame(int);

#endif
