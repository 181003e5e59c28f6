/* termbase.store._scan: stat every concept file of a glossary folder, in C.
 *
 * The index stats every concept file before it answers (store/index.py). For 100,000 files the
 * Python loop costs more than the system calls themselves; this does the same walk with no
 * Python object per file when only a fingerprint of the listing is asked for, and shares the
 * stat calls of a large folder among a few threads (the kernel's part is most of the cost).
 *
 * scan(folder: bytes, full: bool) -> (count, fingerprint, entries)
 *   count        how many `*.yaml` files
 *   fingerprint  hex of an order-independent 128-bit digest of (name, size, mtime_ns, ctime_ns, inode)
 *   entries      with full: a list of (name, size, mtime_ns, ctime_ns, inode), else None
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t mix(uint64_t x) {          /* splitmix64's finalizer */
    x ^= x >> 30; x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27; x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t fnv(const void *data, size_t n, uint64_t h) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 0x100000001b3ULL; }
    return h;
}

/* The names are read first (one readdir pass), then stat'ed by up to MAX_THREADS threads, each
 * over its own slice, without the GIL: the digest is a sum, so the order does not matter. */
#define MAX_THREADS 4
#define PER_THREAD 8192        /* files a thread must have before one more is started */

typedef struct { int64_t f[4]; int ok; } Stat;

typedef struct {
    int dfd;
    char **names;
    size_t *lengths;
    Stat *stats;
    size_t start, stop;
    uint64_t low, high;
    size_t count;
    int error;                /* errno of a failed stat other than ENOENT, else 0 */
    size_t failed;            /* the index of that file */
} Slice;

static void *stat_slice(void *arg) {
    Slice *s = arg;
    for (size_t i = s->start; i < s->stop; i++) {
        struct stat st;
        s->stats[i].ok = 0;
        if (fstatat(s->dfd, s->names[i], &st, 0) != 0) {
            if (errno == ENOENT) continue;                    /* removed while we looked */
            s->error = errno;
            s->failed = i;
            return NULL;
        }
        int64_t *fields = s->stats[i].f;
        fields[0] = (int64_t)st.st_size;
        fields[1] = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        fields[2] = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
        fields[3] = (int64_t)st.st_ino;
        uint64_t h = fnv(fields, 4 * sizeof(int64_t), fnv(s->names[i], s->lengths[i] + 1, 0xcbf29ce484222325ULL));
        s->low += mix(h);
        s->high += mix(h ^ 0x9e3779b97f4a7c15ULL);
        s->stats[i].ok = 1;
        s->count++;
    }
    return NULL;
}

typedef struct { char **names; size_t *lengths; size_t n, cap; } Names;

static void free_names(Names *names) {
    for (size_t i = 0; i < names->n; i++) free(names->names[i]);
    free(names->names);
    free(names->lengths);
}

/* The `*.yaml` names of the folder open on dfd; 0, or an errno. */
static int read_names(int dfd, Names *names) {
    int copy = dup(dfd);
    if (copy < 0) return errno;
    DIR *dir = fdopendir(copy);
    if (dir == NULL) { int e = errno; close(copy); return e; }
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
        size_t n = strlen(entry->d_name);
        if (n < 5 || memcmp(entry->d_name + n - 5, ".yaml", 5) != 0) continue;
        if (names->n == names->cap) {
            size_t cap = names->cap ? 2 * names->cap : 1024;
            char **more = realloc(names->names, cap * sizeof *more);
            if (more) names->names = more;
            size_t *longer = more ? realloc(names->lengths, cap * sizeof *longer) : NULL;
            if (longer) names->lengths = longer;
            if (!more || !longer) { closedir(dir); return ENOMEM; }
            names->cap = cap;
        }
        char *name = malloc(n + 1);
        if (name == NULL) { closedir(dir); return ENOMEM; }
        memcpy(name, entry->d_name, n + 1);
        names->names[names->n] = name;
        names->lengths[names->n++] = n;
        errno = 0;
    }
    int failed = errno;
    closedir(dir);
    return failed;
}

static PyObject *py_scan(PyObject *self, PyObject *args) {
    const char *path;
    int full;
    if (!PyArg_ParseTuple(args, "yp", &path, &full))
        return NULL;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    Names names = {0};
    Stat *stats = NULL;
    Slice slices[MAX_THREADS];
    size_t threads = 1;
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = read_names(dfd, &names);
    if (!failed && names.n && (stats = malloc(names.n * sizeof *stats)) == NULL)
        failed = ENOMEM;
    if (!failed) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = names.n / PER_THREAD + 1;
        if (cpus > 0 && threads > (size_t)cpus) threads = (size_t)cpus;
        if (threads > MAX_THREADS) threads = MAX_THREADS;
        pthread_t ids[MAX_THREADS];
        int started[MAX_THREADS] = {0};
        for (size_t t = 0; t < threads; t++) {
            slices[t] = (Slice){dfd, names.names, names.lengths, stats, names.n * t / threads,
                                names.n * (t + 1) / threads, 0, 0, 0, 0, 0};
            started[t] = t > 0 && pthread_create(&ids[t], NULL, stat_slice, &slices[t]) == 0;
        }
        for (size_t t = 0; t < threads; t++)          /* a thread that did not start: its slice here */
            if (!started[t]) stat_slice(&slices[t]);
        for (size_t t = 1; t < threads; t++)
            if (started[t]) pthread_join(ids[t], NULL);
    }
    Py_END_ALLOW_THREADS
    close(dfd);
    if (failed) {
        free_names(&names);
        free(stats);
        errno = failed;
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    }
    uint64_t low = 0, high = 0;
    Py_ssize_t count = 0;
    for (size_t t = 0; t < threads; t++) {
        if (slices[t].error) {
            errno = slices[t].error;
            PyErr_SetFromErrnoWithFilename(PyExc_OSError, names.names[slices[t].failed]);
            free_names(&names);
            free(stats);
            return NULL;
        }
        low += slices[t].low;
        high += slices[t].high;
        count += (Py_ssize_t)slices[t].count;
    }
    PyObject *entries = Py_None;
    Py_INCREF(Py_None);
    if (full) {
        Py_DECREF(Py_None);
        entries = PyList_New(0);
        for (size_t i = 0; entries != NULL && i < names.n; i++) {
            if (!stats[i].ok) continue;
            int64_t *fields = stats[i].f;
            PyObject *item = Py_BuildValue("(NLLLL)", PyUnicode_DecodeFSDefaultAndSize(names.names[i], names.lengths[i]),
                                           (long long)fields[0], (long long)fields[1], (long long)fields[2],
                                           (long long)fields[3]);
            if (item == NULL || PyList_Append(entries, item) < 0)
                Py_CLEAR(entries);
            Py_XDECREF(item);
        }
    }
    free_names(&names);
    free(stats);
    if (entries == NULL)
        return NULL;
    char fingerprint[33];
    snprintf(fingerprint, sizeof fingerprint, "%016llx%016llx", (unsigned long long)high, (unsigned long long)low);
    return Py_BuildValue("(nsN)", count, fingerprint, entries);
}

static PyMethodDef methods[] = {
    {"scan", py_scan, METH_VARARGS, "scan(folder: bytes, full: bool) -> (count, fingerprint, entries or None)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "termbase.store._scan", "Stat a glossary's concept files in C (see store/index.py).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__scan(void) { return PyModule_Create(&module); }
