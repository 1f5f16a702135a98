/* SPDX-License-Identifier: ISC */
/* conf.c - parses the runner's INI file (inih) into a struct config. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "jobq_limits.h"

#define KIND_PREFIX	"kind."

/* Bits of parse.seen, so a key given twice is an error, not a surprise. */
#define SEEN_WORKERS	0x01
#define SEEN_POLL	0x02
#define SEEN_QUEUES	0x04
#define SEEN_SHUTDOWN	0x08
#define SEEN_HEARTBEAT	0x10
#define SEEN_RESCUE	0x20
#define SEEN_GRACE	0x40
#define SEEN_RETENTION	0x80
#define SEEN_BATCH	0x100

struct parse {
	FILE		*fp;
	int		 line;		/* of the line inih is parsing */
	int		 nul_line;	/* of a NUL byte; 0: none */
	int		 read_errno;	/* of a read error; 0: none */
	int		 errline;	/* of the first error; 0: none */
	char		 err[256];
	unsigned int	 seen;
	struct config	*cfg;
};

static void	 parse_fail(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
parse_fail(struct parse *p, const char *fmt, ...)
{
	va_list	 ap;

	/* Report the first error: later ones are often its echoes. */
	if (p->errline != 0)
		return;
	p->errline = p->line > 0 ? p->line : 1;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

/*
 * fgets for inih that counts lines, so handler errors can name theirs,
 * and refuses lines longer than inih's buffer instead of letting their
 * tail be parsed as a line of its own.  It reads byte by byte to see
 * NUL bytes, which fgets would hide; a NUL or a read error ends the
 * parse, and config_load reports it without a line's context.
 */
static char *
parse_read(char *buf, int num, void *stream)
{
	struct parse	*p = stream;
	int		 c = EOF, n = 0;

	while (n < num - 1 && (c = getc(p->fp)) != EOF) {
		if (c == '\0') {
			p->nul_line = p->line + 1;
			return NULL;
		}
		buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (c == EOF && ferror(p->fp)) {
		p->read_errno = errno != 0 ? errno : EIO;
		return NULL;
	}
	if (n == 0)
		return NULL;
	buf[n] = '\0';
	p->line++;
	if (buf[n - 1] != '\n' && n == num - 1 &&
	    (c = getc(p->fp)) != EOF && c != '\n') {
		while ((c = getc(p->fp)) != EOF && c != '\n')
			continue;
		parse_fail(p, "line too long (at most %d bytes)", num - 2);
		buf[0] = '\0';
	}
	return buf;
}

/* Whether s fits the schema's rule for kind and queue names. */
static int
valid_name(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > JOBQ_MAX_NAME)
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && strchr("_.:-", s[i]) != NULL)
			continue;
		return 0;
	}
	return 1;
}

/*
 * Whether s is a plain decimal number: digits, then optionally a point
 * and more digits.  strtod and strtol alone also take blanks, signs,
 * hex, exponents, "inf" and "nan", which the documentation does not
 * promise and a typo should not turn into a value.
 */
static int
plain_number(const char *s, int fraction)
{
	size_t	 n;

	if ((n = strspn(s, "0123456789")) == 0)
		return 0;
	if (fraction && s[n] == '.') {
		s += n + 1;
		if ((n = strspn(s, "0123456789")) == 0)
			return 0;
	}
	return s[n] == '\0';
}

static int
parse_int(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (!plain_number(s, 0))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || v < min ||
	    v > max)
		return -1;
	*out = v;
	return 0;
}

int
config_parse_workers(const char *s, int *out, char *err, size_t errlen)
{
	long	 v;

	if (parse_int(s, 1, JOBQ_MAX_WORKERS, &v) == -1) {
		snprintf(err, errlen, "workers must be an integer from 1 to %d,"
		    " not \"%s\"", JOBQ_MAX_WORKERS, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
config_parse_seconds(const char *s, double *out, char *err, size_t errlen)
{
	char	*end;
	double	 v;

	errno = 0;
	if (plain_number(s, 1))
		v = strtod(s, &end);
	else
		v = -1.0;
	if (v < 0.001 || v > 3600.0 || errno == ERANGE) {
		snprintf(err, errlen, "poll interval must be a decimal number "
		    "of seconds from 0.001 to 3600, not \"%s\"", s);
		return -1;
	}
	*out = v;
	return 0;
}

int
config_parse_int(const char *s, const char *name, long min, long max,
    int *out, char *err, size_t errlen)
{
	long	 v;

	if (parse_int(s, min, max, &v) == -1) {
		snprintf(err, errlen, "%s must be an integer from %ld to %ld "
		    "seconds, not \"%s\"", name, min, max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
config_parse_retention(const char *s, int *out, char *err, size_t errlen)
{

	return config_parse_int(s, "retention", 0, CONFIG_MAX_RETENTION_S,
	    out, err, errlen);
}

int
config_check_rescue(int heartbeat, int rescue, char *err, size_t errlen)
{

	if (rescue < RESCUE_MIN_BEATS * heartbeat) {
		snprintf(err, errlen, "rescue_after (%d s) must be at least "
		    "%d heartbeat intervals (%d s)", rescue, RESCUE_MIN_BEATS,
		    RESCUE_MIN_BEATS * heartbeat);
		return -1;
	}
	return 0;
}

/* The length of s without the blanks at either end; *s moves past. */
static size_t
trim(const char **s, size_t len)
{

	while (len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		len--;
	}
	while (len > 0 && ((*s)[len - 1] == ' ' || (*s)[len - 1] == '\t'))
		len--;
	return len;
}

int
config_parse_queues(const char *s, char **out, char *err, size_t errlen)
{
	const char	*p = s, *name, *comma;
	char		*norm = NULL, *o = NULL;
	size_t		 len;

	if (out != NULL && (o = norm = malloc(strlen(s) + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		name = p;
		len = trim(&name, len);
		if (!valid_name(name, len)) {
			snprintf(err, errlen, "bad queue name \"%.*s\" in "
			    "\"%s\"", (int)len, name, s);
			free(norm);
			return -1;
		}
		if (o != NULL) {
			memcpy(o, name, len);
			o += len;
			*o++ = comma != NULL ? ',' : '\0';
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (out != NULL)
		*out = norm;
	return 0;
}

int
config_parse_id(const char *s, char *err, size_t errlen)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && i <= CONFIG_MAX_ID; i++)
		if (s[i] <= ' ' || s[i] > '~')
			break;
	if (i == 0 || i > CONFIG_MAX_ID || s[i] != '\0') {
		snprintf(err, errlen, "runner id (--id) must be 1 to %d "
		    "printable ASCII characters without blanks",
		    CONFIG_MAX_ID);
		return -1;
	}
	return 0;
}

/* Split exec's value on blanks into a NULL-terminated vector. */
static char **
split_argv(const char *s)
{
	char	**argv, *copy, *tok, *save;
	size_t	 n = 0;

	if ((copy = strdup(s)) == NULL)
		return NULL;
	/* At most one word per two bytes, plus the NULL. */
	if ((argv = calloc(strlen(s) / 2 + 2, sizeof(*argv))) == NULL) {
		free(copy);
		return NULL;
	}
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save))
		if ((argv[n++] = strdup(tok)) == NULL)
			break;
	free(copy);
	if (n > 0 && argv[n - 1] == NULL) {
		while (n-- > 0)
			free(argv[n]);
		free(argv);
		return NULL;
	}
	return argv;
}

static void
free_argv(char **argv)
{
	size_t	 i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static struct kind_cfg *
kind_get(struct parse *p, const char *name)
{
	struct kind_cfg	*k, **tail = &p->cfg->kinds;

	for (k = p->cfg->kinds; k != NULL; k = k->next) {
		if (strcmp(k->name, name) == 0)
			return k;
		tail = &k->next;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->name = strdup(name)) == NULL) {
		free(k);
		return NULL;
	}
	k->line = p->line;
	*tail = k;
	return k;
}

static int
parse_kind_key(struct parse *p, struct kind_cfg *k, const char *name,
    const char *value)
{
	long	 v;

	if (strcmp(name, "exec") == 0) {
		if (k->argv != NULL) {
			parse_fail(p, "exec given twice for kind \"%s\"",
			    k->name);
			return 0;
		}
		if ((k->argv = split_argv(value)) == NULL) {
			parse_fail(p, "out of memory");
			return 0;
		}
		if (k->argv[0] == NULL || k->argv[0][0] != '/') {
			parse_fail(p, "exec must start with an absolute path");
			return 0;
		}
		if (access(k->argv[0], X_OK) == -1) {
			parse_fail(p, "cannot execute \"%s\": %s", k->argv[0],
			    strerror(errno));
			return 0;
		}
	} else if (strcmp(name, "timeout") == 0) {
		if (parse_int(value, 1, JOBQ_MAX_TIMEOUT, &v) == -1) {
			parse_fail(p, "timeout must be an integer from 1 to "
			    "%d seconds, not \"%s\"", JOBQ_MAX_TIMEOUT, value);
			return 0;
		}
		k->timeout = (int)v;
	} else {
		parse_fail(p, "unknown key \"%s\" in [%s%s]", name,
		    KIND_PREFIX, k->name);
		return 0;
	}
	return 1;
}

static int
parse_seen(struct parse *p, unsigned int bit, const char *name)
{

	if (p->seen & bit) {
		parse_fail(p, "\"%s\" given twice", name);
		return 0;
	}
	p->seen |= bit;
	return 1;
}

/* A [runner] key holding whole seconds from 1 to max. */
static int
parse_runner_int(struct parse *p, unsigned int bit, const char *name,
    const char *value, long max, int *out)
{
	char	 msg[200];

	if (!parse_seen(p, bit, name))
		return 0;
	if (config_parse_int(value, name, 1, max, out, msg,
	    sizeof(msg)) == -1) {
		parse_fail(p, "%s", msg);
		return 0;
	}
	return 1;
}

/* retention (seconds, 0 allowed) and prune_batch (rows). */
static int
parse_prune_key(struct parse *p, const char *name, const char *value)
{
	char	 msg[200];
	long	 v;

	if (strcmp(name, "retention") == 0) {
		if (!parse_seen(p, SEEN_RETENTION, name))
			return 0;
		if (config_parse_retention(value, &p->cfg->retention, msg,
		    sizeof(msg)) == -1) {
			parse_fail(p, "%s", msg);
			return 0;
		}
		return 1;
	}
	if (!parse_seen(p, SEEN_BATCH, name))
		return 0;
	if (parse_int(value, 1, CONFIG_MAX_PRUNE_BATCH, &v) == -1) {
		parse_fail(p, "prune_batch must be an integer from 1 to %d "
		    "rows, not \"%s\"", CONFIG_MAX_PRUNE_BATCH, value);
		return 0;
	}
	p->cfg->prune_batch = (int)v;
	return 1;
}

static int
parse_runner_key(struct parse *p, const char *name, const char *value)
{
	struct config	*cfg = p->cfg;
	char		 msg[200];
	long		 v;

	if (strcmp(name, "workers") == 0) {
		if (!parse_seen(p, SEEN_WORKERS, name))
			return 0;
		if (config_parse_workers(value, &cfg->workers, msg,
		    sizeof(msg)) == -1) {
			parse_fail(p, "%s", msg);
			return 0;
		}
	} else if (strcmp(name, "poll_interval") == 0) {
		if (!parse_seen(p, SEEN_POLL, name))
			return 0;
		if (config_parse_seconds(value, &cfg->poll_interval, msg,
		    sizeof(msg)) == -1) {
			parse_fail(p, "%s", msg);
			return 0;
		}
	} else if (strcmp(name, "queues") == 0) {
		if (!parse_seen(p, SEEN_QUEUES, name))
			return 0;
		if (config_parse_queues(value, &cfg->queues, msg,
		    sizeof(msg)) == -1) {
			parse_fail(p, "%s", msg);
			return 0;
		}
	} else if (strcmp(name, "shutdown_timeout") == 0) {
		if (!parse_seen(p, SEEN_SHUTDOWN, name))
			return 0;
		if (parse_int(value, 0, 86400, &v) == -1) {
			parse_fail(p, "shutdown_timeout must be an integer "
			    "from 0 to 86400 seconds, not \"%s\"", value);
			return 0;
		}
		cfg->shutdown_timeout = (int)v;
	} else if (strcmp(name, "heartbeat_interval") == 0) {
		return parse_runner_int(p, SEEN_HEARTBEAT, name, value,
		    JOBQ_MAX_HEARTBEAT_S, &cfg->heartbeat_interval);
	} else if (strcmp(name, "rescue_after") == 0) {
		return parse_runner_int(p, SEEN_RESCUE, name, value,
		    JOBQ_MAX_RESCUE_S, &cfg->rescue_after);
	} else if (strcmp(name, "kill_grace") == 0) {
		return parse_runner_int(p, SEEN_GRACE, name, value,
		    JOBQ_MAX_KILL_GRACE_S, &cfg->kill_grace);
	} else if (strcmp(name, "retention") == 0 ||
	    strcmp(name, "prune_batch") == 0) {
		return parse_prune_key(p, name, value);
	} else {
		parse_fail(p, "unknown key \"%s\" in [runner]", name);
		return 0;
	}
	return 1;
}

/* inih's callback: one name = value pair of section. */
static int
parse_pair(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse	*p = user;
	struct kind_cfg	*k;
	const char	*kname;

	if (strcmp(section, "runner") == 0)
		return parse_runner_key(p, name, value);
	if (strncmp(section, KIND_PREFIX, strlen(KIND_PREFIX)) != 0) {
		if (section[0] == '\0')
			parse_fail(p, "\"%s\" outside any section", name);
		else
			parse_fail(p, "unknown section [%s]", section);
		return 0;
	}
	kname = section + strlen(KIND_PREFIX);
	if (!valid_name(kname, strlen(kname))) {
		parse_fail(p, "bad kind name \"%s\"", kname);
		return 0;
	}
	if ((k = kind_get(p, kname)) == NULL) {
		parse_fail(p, "out of memory");
		return 0;
	}
	return parse_kind_key(p, k, name, value);
}

struct config *
config_empty(void)
{
	struct config	*cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->shutdown_timeout = -1;
	cfg->retention = -1;
	return cfg;
}

/*
 * Open path for reading if it is a regular file.  O_NONBLOCK keeps a
 * FIFO from hanging the runner (on SIGHUP, the whole supervisor) until
 * fstat has turned it away; a directory would read as an empty file.
 */
static FILE *
open_regular(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, S_ISDIR(st.st_mode) ?
		    "is a directory, not a configuration file" :
		    "not a regular file");
		close(fd);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

/* The first error of a finished parse into p->errline and p->err. */
static void
parse_result(struct parse *p, int rc)
{
	struct kind_cfg	*k;

	/* inih's own complaints (no "=", no "]") come without a message. */
	if (rc > 0 && (p->errline == 0 || rc < p->errline)) {
		p->errline = rc;
		snprintf(p->err, sizeof(p->err), "syntax error");
	} else if (rc < 0 && p->errline == 0) {
		p->errline = p->line + 1;
		snprintf(p->err, sizeof(p->err), "out of memory");
	}
	for (k = p->cfg->kinds; p->errline == 0 && k != NULL; k = k->next)
		if (k->argv == NULL) {
			p->errline = k->line;
			snprintf(p->err, sizeof(p->err), "kind \"%s\" has no "
			    "exec", k->name);
		}
}

struct config *
config_load(const char *path, char *err, size_t errlen)
{
	struct parse	 p;
	int		 rc;

	memset(&p, 0, sizeof(p));
	if ((p.cfg = config_empty()) == NULL ||
	    (p.cfg->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		config_free(p.cfg);
		return NULL;
	}
	if ((p.fp = open_regular(path, err, errlen)) == NULL) {
		config_free(p.cfg);
		return NULL;
	}
	rc = ini_parse_stream(parse_read, &p, parse_pair, &p);
	fclose(p.fp);
	/*
	 * A file cut short by a read error or holding a NUL byte (not a
	 * text file) must not count as the shorter file inih saw.
	 */
	if (p.read_errno != 0)
		snprintf(err, errlen, "%s: read error: %s", path,
		    strerror(p.read_errno));
	else if (p.nul_line != 0)
		snprintf(err, errlen, "%s: NUL byte on line %d: not a text "
		    "file", path, p.nul_line);
	else {
		parse_result(&p, rc);
		if (p.errline == 0)
			return p.cfg;
		snprintf(err, errlen, "%s:%d: %s", path, p.errline, p.err);
	}
	config_free(p.cfg);
	return NULL;
}

void
config_free(struct config *cfg)
{
	struct kind_cfg	*k, *next;

	if (cfg == NULL)
		return;
	for (k = cfg->kinds; k != NULL; k = next) {
		next = k->next;
		free(k->name);
		free_argv(k->argv);
		free(k);
	}
	free(cfg->path);
	free(cfg->queues);
	free(cfg);
}

const struct kind_cfg *
config_kind(const struct config *cfg, const char *name)
{
	const struct kind_cfg	*k;

	if (cfg == NULL)
		return NULL;
	for (k = cfg->kinds; k != NULL; k = k->next)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}
