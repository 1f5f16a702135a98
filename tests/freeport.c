/* SPDX-License-Identifier: ISC */
/* freeport.c - print N free TCP ports on 127.0.0.1, one per line. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * The kernel picks a free port when asked to bind port 0.  All sockets
 * stay open until every port is printed, so the N ports differ.  Another
 * program may still take one before our server binds it; callers retry.
 */
int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	int			 fds[16], n, i;

	n = argc > 1 ? atoi(argv[1]) : 1;
	if (n < 1 || n > 16) {
		fprintf(stderr, "usage: freeport [1-16]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(sin);
		if ((fds[i] = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    getsockname(fds[i], (struct sockaddr *)&sin, &len) == -1) {
			perror("freeport");
			return 1;
		}
		printf("%d\n", ntohs(sin.sin_port));
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}
