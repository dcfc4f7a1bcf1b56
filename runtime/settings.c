/* settings.c: the settings table, and what reads it row by row: defaults,
 * freeing, copying and lookups by name and by flag. */
#include "settings.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "settings_field.h"

#define OFF(field) offsetof(struct settings, field)
#define UNLIMITED 1e9
#define HEARTBEAT_MIN 0.01  /* seconds: faster would only burn the CPU */

static const char *const filter_choices[] = {
    [FILTER_LINE] = "line", [FILTER_STREAM] = "stream",
    [FILTER_HTTP] = "http", NULL};
static const char *const level_choices[] = {
    [LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug", NULL};

/* Shorthands for the rows: a count, a time in seconds (above 0 when
 * lo_exclusive), a string, a list. */
#define COUNT(field_, lo, hi) \
    .type = SETTING_INT, .offset = OFF(field_), .min = lo, .max = hi
#define SECONDS(field_, lo_exclusive, hi) \
    .type = SETTING_NUM, .offset = OFF(field_), .max = hi, \
    .min_exclusive = lo_exclusive, .kind = "SECONDS"
#define STRING(field_, kind_) \
    .type = SETTING_STR, .offset = OFF(field_), .kind = kind_
#define LIST(field_, kind_) \
    .type = SETTING_LIST, .offset = OFF(field_), .kind = kind_

const struct setting_def settings_table[SETTINGS_COUNT] = {
    [SET_PORT] = {"Port", COUNT(port, 0, 65535), .dflt = 10000,
        .kind = "PORT", .restart = 1,
        .meaning = "TCP port to listen on, on Address; 0: none (then Listen "
                   "must name one)"},
    [SET_ADDRESS] = {"Address", STRING(address, "ADDRESS"),
        .dflt_str = "127.0.0.1", .restart = 1,
        .meaning = "address to bind; \"0.0.0.0\", or \"::\" for IPv6 and "
                   "IPv4"},
    [SET_LISTEN] = {"Listen", LIST(listen, "ADDRESS"), .restart = 1,
        .meaning = "more listeners: \"host:port\", \"[v6addr]:port\", "
                   "\"unix:/path\""},
    [SET_MAX_SERVER] = {"MaxServer", COUNT(max_server, 1, 100000),
        .dflt = 20, .kind = "N", .meaning = "most children at once"},
    [SET_START_SERVER] = {"StartServer", COUNT(start_server, 1, 100000),
        .dflt = 5, .kind = "N", .meaning = "children forked at start; the default is brought within a "
                   "MaxServer below it"},
    [SET_MIN_SERVER] = {"MinServer", COUNT(min_server, 0, 100000),
        .derivation = "StartServer", .kind = "N",
        .meaning = "fewest children; below it the master forks more; when "
                   "derived, at most MaxServer"},
    [SET_MIN_SPARE_SERVER] = {"MinSpareServer",
        COUNT(min_spare_server, 0, 100000), .derivation = "MinServer",
        .kind = "N",
        .meaning = "fewest idle children (no connection); when derived, "
                   "capped at MaxSpareServer"},
    [SET_MAX_SPARE_SERVER] = {"MaxSpareServer",
        COUNT(max_spare_server, 0, 100000),
        .derivation = "MaxServer - MinServer", .kind = "N",
        .meaning = "most idle children; 0 turns the check off"},
    [SET_MASTER_HEART_BEAT_TIME] = {"MasterHeartBeatTime",
        SECONDS(master_heart_beat_time, 0, 86400), .min = HEARTBEAT_MIN,
        .dflt = 10,
        .meaning = "how often the master checks its children; at least 0.01"},
    [SET_SERVER_HEART_BEAT_TIME] = {"ServerHeartBeatTime",
        SECONDS(server_heart_beat_time, 0, 86400), .min = HEARTBEAT_MIN,
        .derivation = "MasterHeartBeatTime / 2",
        .meaning = "how often a child reports to the master; at least 0.01 "
                   "when given; when derived, below a given "
                   "MaxServerExpireTime (half of it)"},
    [SET_MAX_SESSION_PER_SERVER] = {"MaxSessionPerServer",
        COUNT(max_session_per_server, 0, UNLIMITED), .kind = "N",
        .meaning = "most open connections per child (0: no limit); exact: a "
                   "child at the limit stops accepting until one closes"},
    [SET_MAX_SERVER_EXPIRE_TIME] = {"MaxServerExpireTime",
        SECONDS(max_server_expire_time, 1, UNLIMITED),
        .derivation = "5 * MasterHeartBeatTime",
        .meaning = "a child silent this long is killed and replaced; when "
                   "derived, above a given ServerHeartBeatTime (5 times it)"},
    [SET_GRACE_EXPIRE_TIME] = {"GraceExpireTime",
        SECONDS(grace_expire_time, 0, UNLIMITED),
        .derivation = "MaxServerExpireTime",
        .meaning = "a child told to stop closes the connections it still has "
                   "after this long (ClientDisconnected reason \"stopping\"), "
                   "runs ChildStop and exits; the master kills it only if it "
                   "is still there a second later"},
    [SET_MAX_SERVER_SPARE_TIME] = {"MaxServerSpareTime",
        SECONDS(max_server_spare_time, 0, UNLIMITED),
        .meaning = "a child with no connection for this long is recycled "
                   "(0: off)"},
    [SET_MAX_SERVER_LIFE_TIME] = {"MaxServerLifeTime",
        SECONDS(max_server_life_time, 0, UNLIMITED),
        .meaning = "a child older than this is recycled (0: off)"},
    [SET_MAX_SERVER_LIFE_TIMES] = {"MaxServerLifeTimes",
        COUNT(max_server_life_times, 0, UNLIMITED), .kind = "N",
        .meaning = "a child that has accepted this many connections is "
                   "recycled (0: off). Exact: at the limit it stops accepting "
                   "at once and asks for its replacement; connections that "
                   "arrive meanwhile wait in the listen queue for a sibling "
                   "or the replacement, never refused"},
    [SET_MAX_SERVER_MEMORY] = {"MaxServerMemory",
        COUNT(max_server_memory, 0, UNLIMITED), .kind = "MIB",
        .meaning = "a child whose resident memory (RSS) passes this many MiB "
                   "is recycled gracefully (0: off); checked by the child at "
                   "each of its heartbeats and by the master at each of its "
                   "own"},
    [SET_RECYCLE_JITTER] = {"RecycleJitter", .type = SETTING_NUM,
        .offset = OFF(recycle_jitter), .dflt = 0.1, .max = 1,
        .kind = "FRACTION",
        .meaning = "spreads MaxServerLifeTime and MaxServerLifeTimes: each "
                   "child's limit is the setting * (1 + RecycleJitter * a "
                   "draw in [0, 1)), so children started together do not "
                   "recycle together"},
    [SET_FILTER] = {"Filter", .type = SETTING_ENUM, .offset = OFF(filter),
        .dflt = FILTER_LINE, .choices = filter_choices, .kind = "MODE",
        .meaning = "\"line\": ClientInput gets one line, without \"\\n\" or "
                   "\"\\r\\n\"; \"stream\": bytes as they arrive; \"http\": "
                   "HTTP/1.1 requests go to Handlers (see HTTP)"},
    [SET_MAX_LINE_LENGTH] = {"MaxLineLength",
        COUNT(max_line_length, 1, 1 << 30), .dflt = 65536, .kind = "BYTES",
        .meaning = "a longer line calls ClientError and closes that "
                   "connection; memory stays bounded"},
    [SET_LOG_LEVEL] = {"LogLevel", .type = SETTING_ENUM,
        .offset = OFF(log_level), .dflt = LOG_INFO, .choices = level_choices,
        .kind = "LEVEL",
        .meaning = "log lines at this level and above: \"error\", \"warn\", "
                   "\"info\" or \"debug\""},
    [SET_LOG_FILE] = {"LogFile", STRING(log_file, "PATH"),
        .meaning = "append log lines here instead of standard error "
                   "(reopened on HUP)"},
    [SET_PID_FILE] = {"PidFile", STRING(pid_file, "PATH"),
        .meaning = "the master's pid, held with an flock lock: tine refuses "
                   "to start while another master holds it (naming its pid), "
                   "and takes over a stale file whatever pid it names; moved "
                   "when a reload changes it; removed at exit"},
    [SET_USER] = {"User", STRING(user, "NAME"),
        .meaning = "children drop to this user (a name or a number) after "
                   "the sockets are bound; a child that cannot drop never "
                   "runs as root: it fails to start. The master keeps its "
                   "identity, to reopen logs and remove its files"},
    [SET_GROUP] = {"Group", STRING(group, "NAME"),
        .meaning = "children drop to this group (a name or a number), as "
                   "for User"},
    [SET_ALLOW] = {"Allow", LIST(allow, "CIDR"),
        .meaning = "addresses or CIDR blocks (\"10.0.0.0/8\", \"::1\"); "
                   "when not empty, a peer matching none of them is closed "
                   "before any callback"},
    [SET_DENY] = {"Deny", LIST(deny, "CIDR"),
        .meaning = "addresses or CIDR blocks; a peer matching one is closed "
                   "before any callback, whatever Allow says"},
    [SET_MAX_OUTPUT_BUFFER] = {"MaxOutputBuffer",
        COUNT(max_output_buffer, 1, 1 << 30), .dflt = 1048576,
        .kind = "BYTES",
        .meaning = "bytes queued for one client past which tine stops "
                   "reading its input until the queue drains below half; "
                   "queued output can never pass 4 * MaxOutputBuffer: a "
                   "write beyond that (from a timer, say, to a client that "
                   "never reads) calls ClientError with \"output buffer "
                   "full\" and closes the connection"},
    [SET_DAEMONIZE] = {"Daemonize", .type = SETTING_BOOL,
        .offset = OFF(daemonize), .kind = "BOOL",
        .meaning = "detach into the background (standard streams to "
                   "/dev/null: set LogFile); the command returns once the "
                   "first children are ready (status 0), or with status 1 "
                   "and the reason on standard error if they failed"},
    [SET_RESOLVER] = {"Resolver", LIST(resolver, "ADDRESS"),
        .meaning = "nameservers for tine.resolve and sock:connect by name "
                   "(\"127.0.0.1\", \"[::1]:5353\"), as nginx's resolver; "
                   "none: those of /etc/resolv.conf. /etc/hosts is read first "
                   "either way"},
    [SET_MAX_LUA_MEMORY] = {"MaxLuaMemory",
        COUNT(max_lua_memory, 0, 1 << 20), .kind = "MIB",
        .meaning = "MiB of Lua heap per child (0: no limit): past it, the "
                   "running callback fails with \"not enough memory\" "
                   "(logged, its connection closed) and the child asks to be "
                   "recycled. Enforced while callbacks run, not in the "
                   "script's top level"},
    [SET_IDLE_TIMEOUT] = {"IdleTimeout",
        SECONDS(idle_timeout, 0, UNLIMITED),
        .meaning = "a connection that sends nothing this long is closed "
                   "(ClientDisconnected reason \"idle\") once its output is "
                   "sent; 0: never. A connection whose callback is waiting is "
                   "left alone"},
    [SET_MAX_HEADER_SIZE] = {"MaxHeaderSize",
        COUNT(max_header_size, 64, 1 << 24), .dflt = 16384, .kind = "BYTES",
        .meaning = "HTTP: bytes of request line and headers; more is a 431 "
                   "(414 for the target alone)"},
    [SET_MAX_BODY_SIZE] = {"MaxBodySize",
        COUNT(max_body_size, 0, 1 << 30), .dflt = 1048576, .kind = "BYTES",
        .meaning = "HTTP: bytes of request body; more is a 413, sent before "
                   "any of the body is read"},
    [SET_REQUEST_TIMEOUT] = {"RequestTimeout",
        SECONDS(request_timeout, 1, UNLIMITED), .dflt = 30,
        .meaning = "HTTP: seconds to receive one request's head and body; "
                   "then a 408 and the connection closes"},
    [SET_KEEP_ALIVE_TIMEOUT] = {"KeepAliveTimeout",
        SECONDS(keep_alive_timeout, 0, UNLIMITED), .dflt = 15,
        .meaning = "HTTP: seconds an idle keep-alive connection is kept "
                   "(0: closed after each response)"},
    [SET_MAX_KEEP_ALIVE_REQUESTS] = {"MaxKeepAliveRequests",
        COUNT(max_keep_alive_requests, 0, UNLIMITED), .dflt = 1000,
        .kind = "N",
        .meaning = "HTTP: requests on one connection; the last answer says "
                   "Connection: close (0: no limit)"},
    [SET_ACCESS_LOG] = {"AccessLog", STRING(access_log, "PATH"),
        .meaning = "HTTP: append a line per request here, in the combined "
                   "log format plus the seconds taken (reopened on HUP)"},
    [SET_PROXY_PROTOCOL] = {"ProxyProtocol", .type = SETTING_BOOL,
        .offset = OFF(proxy_protocol), .kind = "BOOL",
        .meaning = "every TCP listener expects the PROXY protocol header "
                   "(v1 or v2) from TrustedProxies: remote_ip and remote_port "
                   "name the original client and Allow and Deny apply to it; "
                   "an untrusted peer, a bad header or none within 5 s is "
                   "closed before any callback (counted in the debug log)"},
    [SET_TRUSTED_PROXIES] = {"TrustedProxies", LIST(trusted_proxies, "CIDR"),
        .meaning = "the addresses that may send a PROXY header (none given: "
                   "loopback only, 127.0.0.0/8 and ::1)"},
    [SET_TLS_CERTIFICATE] = {"TLSCertificate", STRING(tls_certificate, "PATH"),
        .meaning = "PEM certificate (chain); with TLSKey the Port listener "
                   "speaks TLS. The master reads it before forking and again "
                   "on HUP (a bad pair is logged, the running one kept)"},
    [SET_TLS_KEY] = {"TLSKey", STRING(tls_key, "PATH"),
        .meaning = "PEM private key for TLSCertificate (children need no "
                   "access to it)"},
    [SET_SSLKEYCERT] = {"SSLKEYCERT", LIST(sslkeycert, "PATH"),
        .meaning = "the seed's spelling: { key, cert }, the same as TLSKey "
                   "and TLSCertificate"},
    [SET_TLS_PROTOCOLS] = {"TLSProtocols", STRING(tls_protocols, "LIST"),
        .dflt_str = "TLSv1.2 TLSv1.3",
        .meaning = "the TLS versions offered, among TLSv1.2 and TLSv1.3"},
    [SET_MAX_DEQUEUE] = {"MaxDequeue", COUNT(max_dequeue, 0, 10000),
        .kind = "N",
        .meaning = "most dequeue processes at once, each running the "
                   "script's Dequeue function (see Dequeue processes); 0: "
                   "none. The script must define Dequeue when it is set"},
    [SET_DEQUEUE_INTERVAL] = {"DequeueInterval",
        SECONDS(dequeue_interval, 0, UNLIMITED), .min = HEARTBEAT_MIN,
        .dflt = 30,
        .meaning = "seconds between dequeue starts: one is started each "
                   "time while fewer than MaxDequeue run; at least 0.01"},
    [SET_SHARED_DICT] = {"SharedDict", LIST(shared_dict, "NAME=SIZE"),
        .pairs = 1,
        .meaning = "shared dictionaries, tine.shared.NAME: a table of name "
                   "= size ({cache = \"10m\"}; bytes, or with k, m or g, "
                   "at least 8k), mapped by the master and shared by every "
                   "child; a reload keeps those whose size it keeps"},
    [SET_STATUS_LISTEN] = {"StatusListen", STRING(status_listen, "ADDRESS"),
        .restart = 1,
        .meaning = "the master's status page (/, /status, /metrics): "
                   "\"host:port\" or \"unix:/path\"; an address other "
                   "than loopback needs Allow, which then says who may read "
                   "it"},
};

const int settings_count = SETTINGS_COUNT;

void settings_list_clear(struct string_list *l)
{
    for (int i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void settings_list_add(struct string_list *l, const char *item)
{
    l->items = realloc(l->items, sizeof(char *) * (size_t)(l->n + 1));
    if (!l->items) abort();
    l->items[l->n] = strdup(item);
    if (!l->items[l->n]) abort();
    l->n++;
}

void settings_set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
    if (value && !*slot) abort();
}

void settings_init(struct settings *s)
{
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < SETTINGS_COUNT; i++) {
        const struct setting_def *def = &settings_table[i];
        void *f = settings_field(s, def);
        switch (def->type) {
        case SETTING_INT: *(long *)f = (long)def->dflt; break;
        case SETTING_NUM: *(double *)f = def->dflt; break;
        case SETTING_BOOL:
        case SETTING_ENUM: *(int *)f = (int)def->dflt; break;
        case SETTING_STR: settings_set_str(f, def->dflt_str); break;
        case SETTING_LIST: break;
        }
    }
}

void settings_free(struct settings *s)
{
    for (int i = 0; i < SETTINGS_COUNT; i++) {
        const struct setting_def *def = &settings_table[i];
        if (def->type == SETTING_STR)
            settings_set_str(settings_field(s, def), NULL);
        else if (def->type == SETTING_LIST)
            settings_list_clear(settings_field(s, def));
    }
}

void settings_copy_one(struct settings *dst, const struct settings *src,
                       const struct setting_def *def)
{
    const void *from = settings_cfield(src, def);
    void *to = settings_field(dst, def);
    int i = settings_index(def);
    dst->source[i] = src->source[i];
    switch (def->type) {
    case SETTING_STR: settings_set_str(to, *(char *const *)from); break;
    case SETTING_LIST: {
        const struct string_list *l = from;
        settings_list_clear(to);
        for (int k = 0; k < l->n; k++) settings_list_add(to, l->items[k]);
        break;
    }
    case SETTING_INT: *(long *)to = *(const long *)from; break;
    case SETTING_NUM: *(double *)to = *(const double *)from; break;
    case SETTING_BOOL:
    case SETTING_ENUM: *(int *)to = *(const int *)from; break;
    }
}

void settings_keep_fixed(struct settings *dst, const struct settings *src)
{
    for (int i = 0; i < SETTINGS_COUNT; i++)
        if (settings_table[i].restart)
            settings_copy_one(dst, src, &settings_table[i]);
}

const struct setting_def *settings_find(const char *name)
{
    for (int i = 0; i < SETTINGS_COUNT; i++)
        if (strcmp(settings_table[i].name, name) == 0)
            return &settings_table[i];
    return NULL;
}

void settings_flag_name(const struct setting_def *def, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *p = def->name; *p && o + 2 < len; p++) {
        /* a word starts at a capital after a small letter, or at the last
         * capital of a run followed by a small one: TLSKey -> tls-key */
        int word = p != def->name && isupper((unsigned char)*p) &&
                   (islower((unsigned char)p[-1]) ||
                    islower((unsigned char)p[1]));
        if (word) buf[o++] = '-';
        buf[o++] = (char)tolower((unsigned char)*p);
    }
    buf[o] = '\0';
}

const struct setting_def *settings_find_flag(const char *kebab)
{
    char name[64];
    for (int i = 0; i < SETTINGS_COUNT; i++) {
        settings_flag_name(&settings_table[i], name, sizeof(name));
        if (strcmp(name, kebab) == 0) return &settings_table[i];
    }
    return NULL;
}

const char *settings_string(const struct settings *s,
                            const struct setting_def *def)
{
    const void *f = settings_cfield(s, def);
    if (def->type == SETTING_STR) return *(char *const *)f;
    if (def->type == SETTING_ENUM) return def->choices[*(const int *)f];
    return NULL;
}
