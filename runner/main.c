/* SPDX-License-Identifier: ISC */
/* main.c - jobq-runner: options, --migrate, config check, the supervisor. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "conf.h"
#include "db.h"
#include "jobq_limits.h"
#include "log.h"
#include "migrate.h"
#include "supervisor.h"

#define PROG		"jobq-runner"
#define DEFAULT_CONFIG	JOBQ_SYSCONFDIR "/jobq.ini"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

enum {
	OPT_POLL = 256,
	OPT_QUEUES,
	OPT_ID,
	OPT_ONCE,
	OPT_MIGRATE,
	OPT_VERSION,
	OPT_HEARTBEAT,
	OPT_RESCUE,
	OPT_RETENTION,
};

static const struct option longopts[] = {
	{ "config",		required_argument,	NULL, 'c' },
	{ "workers",		required_argument,	NULL, 'w' },
	{ "poll-interval",	required_argument,	NULL, OPT_POLL },
	{ "queues",		required_argument,	NULL, OPT_QUEUES },
	{ "id",			required_argument,	NULL, OPT_ID },
	{ "heartbeat-interval",	required_argument,	NULL, OPT_HEARTBEAT },
	{ "rescue-after",	required_argument,	NULL, OPT_RESCUE },
	{ "retention",		required_argument,	NULL, OPT_RETENTION },
	{ "once",		no_argument,		NULL, OPT_ONCE },
	{ "migrate",		no_argument,		NULL, OPT_MIGRATE },
	{ "check-config",	no_argument,		NULL, 'n' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 },
};

struct args {
	struct sup_options	 sup;
	int			 migrate;
	int			 check;
	int			 verbose;
	char			*queues;	/* --queues without blanks */
};

static void
usage(FILE *fp)
{

	fprintf(fp, "usage: %s [-nv] [-c file] [-w n] [--poll-interval "
	    "seconds]\n"
	    "\t[--queues q1,q2] [--id name] [--heartbeat-interval seconds]\n"
	    "\t[--rescue-after seconds] [--retention seconds] [--once]\n"
	    "\t[--migrate] [--help] [--version]\n", PROG);
}

/* Complain about a bad option value and exit 2. */
static void
bad_usage(const char *msg)
{

	fprintf(stderr, "%s: %s\n", PROG, msg);
	usage(stderr);
	exit(EXIT_USAGE);
}

static void
parse_args(int argc, char *argv[], struct args *a)
{
	char	 msg[256];
	int	 ch;

	while ((ch = getopt_long(argc, argv, "c:w:nvh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			a->sup.config_path = optarg;
			break;
		case 'w':
			if (config_parse_workers(optarg, &a->sup.workers, msg,
			    sizeof(msg)) == -1)
				bad_usage(msg);
			a->sup.workers_cli = 1;
			break;
		case OPT_POLL:
			if (config_parse_seconds(optarg,
			    &a->sup.poll_interval, msg, sizeof(msg)) == -1)
				bad_usage(msg);
			break;
		case OPT_QUEUES:
			/* Kept for the life of the process. */
			free(a->queues);
			if (config_parse_queues(optarg, &a->queues, msg,
			    sizeof(msg)) == -1)
				bad_usage(msg);
			a->sup.queues = a->queues;
			break;
		case OPT_ID:
			if (config_parse_id(optarg, msg, sizeof(msg)) == -1)
				bad_usage(msg);
			a->sup.id = optarg;
			break;
		case OPT_HEARTBEAT:
			if (config_parse_int(optarg, "--heartbeat-interval", 1,
			    JOBQ_MAX_HEARTBEAT_S, &a->sup.heartbeat, msg,
			    sizeof(msg)) == -1)
				bad_usage(msg);
			break;
		case OPT_RESCUE:
			if (config_parse_int(optarg, "--rescue-after", 1,
			    JOBQ_MAX_RESCUE_S, &a->sup.rescue_after, msg,
			    sizeof(msg)) == -1)
				bad_usage(msg);
			break;
		case OPT_RETENTION:
			if (config_parse_retention(optarg, &a->sup.retention,
			    msg, sizeof(msg)) == -1)
				bad_usage(msg);
			a->sup.retention_set = 1;
			break;
		case OPT_ONCE:
			a->sup.once = 1;
			break;
		case OPT_MIGRATE:
			a->migrate = 1;
			break;
		case 'n':
			a->check = 1;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_VERSION:
			printf("%s %s\n", PROG, PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind != argc)
		bad_usage("unexpected argument");
	/* --migrate only migrates: say so rather than drop the others. */
	if (a->migrate && (a->sup.once || a->check))
		bad_usage("--migrate cannot be combined with --once or -n");
}

/*
 * The configuration file: -c, else the default one when it exists,
 * else an empty configuration.  Exits 2 when the file is bad.
 */
static struct config *
load_config(struct args *a)
{
	struct config	*cfg;
	char		 err[512];

	if (a->sup.config_path == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		a->sup.config_path = DEFAULT_CONFIG;
	if (a->sup.config_path == NULL)
		cfg = config_empty();
	else
		cfg = config_load(a->sup.config_path, err, sizeof(err));
	if (cfg == NULL) {
		if (a->sup.config_path == NULL)
			snprintf(err, sizeof(err), "out of memory");
		fprintf(stderr, "%s: %s\n", PROG, err);
		exit(EXIT_USAGE);
	}
	return cfg;
}

/* Workers: -w, else the file, else one per online CPU. */
static void
resolve_workers(struct args *a, const struct config *cfg)
{
	long	 n;

	if (a->sup.workers > 0)
		return;
	if (cfg->workers > 0) {
		a->sup.workers = cfg->workers;
		return;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > JOBQ_MAX_WORKERS)
		n = JOBQ_MAX_WORKERS;
	a->sup.workers = (int)n;
}

static int
run_migrate(void)
{
	PGconn	*conn;
	char	 err[512];
	int	 n;

	if ((conn = db_connect(PROG, err, sizeof(err))) == NULL) {
		log_error("cannot connect to the database: %s", err);
		return EXIT_RUNTIME;
	}
	n = migrate_run(conn, err, sizeof(err));
	PQfinish(conn);
	if (n == -1) {
		log_error("migration failed: %s", err);
		return EXIT_RUNTIME;
	}
	if (n == 0)
		log_info("schema is up to date");
	else
		log_info("applied %d migrations", n);
	return 0;
}

/* Make sure 0, 1 and 2 are open, so no pipe or socket lands there. */
static void
std_fds(void)
{
	int	 fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		continue;
	if (fd > 2)
		close(fd);
}

int
main(int argc, char *argv[])
{
	struct args	 a;
	struct config	*cfg;
	char		 msg[256];
	int		 hb, rescue, rc;

	std_fds();
	memset(&a, 0, sizeof(a));
	parse_args(argc, argv, &a);
	log_init(PROG, a.verbose);
	srandom((unsigned int)(time(NULL) ^ ((unsigned int)getpid() << 16)));
	if (a.migrate)
		return run_migrate();
	cfg = load_config(&a);
	resolve_workers(&a, cfg);
	if (supervisor_timing(&a.sup, cfg, &hb, &rescue, msg,
	    sizeof(msg)) == -1) {
		fprintf(stderr, "%s: %s\n", PROG, msg);
		config_free(cfg);
		return EXIT_USAGE;
	}
	if (a.check) {
		config_free(cfg);
		printf("configuration OK\n");
		return 0;
	}
	rc = supervisor_run(&a.sup, cfg);
	free(a.queues);
	return rc;
}
