/* termbase.store._scan: stat every concept file of a glossary folder, in C.
 *
 * The index stats every concept file before it answers (store/index.py). For 100,000 files the
 * Python loop costs more than the system calls themselves; this does the same walk with no
 * Python object per file when only the digests of the listing are asked for, and shares the
 * stat calls of a large folder among a few threads (the kernel's part is most of the cost).
 *
 * scan(folder: bytes, full: bool, only: bytes | None = None) -> (buckets, entries)
 *   buckets      per bucket of names, an order-independent 128-bit digest of the (name, size,
 *                mtime_ns, ctime_ns, inode) of its `*.yaml` files (BUCKETS of them, 16 bytes each,
 *                little-endian; a name's bucket is its CRC-32, as zlib.crc32, modulo BUCKETS)
 *   entries      with full: a list of (name, size, mtime_ns, ctime_ns, inode), else None; with
 *                `only` (BUCKETS bytes), only the files whose bucket's byte in it is not zero
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

#define BUCKETS 256

static uint32_t crc_table[256];

static void crc_init(void) {              /* CRC-32 (IEEE, reflected): the same as zlib.crc32 */
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320U ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32_of(const char *data, size_t n) {
    uint32_t c = 0xFFFFFFFFU;
    for (size_t i = 0; i < n; i++) c = crc_table[(c ^ (unsigned char)data[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFU;
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

typedef struct { int64_t f[4]; int ok; int bucket; } Stat;

typedef struct {
    int dfd;
    char **names;
    size_t *lengths;
    Stat *stats;
    size_t start, stop;
    uint64_t bucket_low[BUCKETS], bucket_high[BUCKETS];
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
        uint64_t l = mix(h), u = mix(h ^ 0x9e3779b97f4a7c15ULL);
        int b = (int)(crc32_of(s->names[i], s->lengths[i]) % BUCKETS);
        s->bucket_low[b] += l;
        s->bucket_high[b] += u;
        s->stats[i].bucket = b;
        s->stats[i].ok = 1;
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
    Py_buffer only = {0};
    if (!PyArg_ParseTuple(args, "yp|z*", &path, &full, &only))
        return NULL;
    if (only.buf != NULL && only.len != BUCKETS) {
        PyBuffer_Release(&only);
        PyErr_SetString(PyExc_ValueError, "only: one byte per bucket expected");
        return NULL;
    }
    const unsigned char *wanted = only.buf;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        PyBuffer_Release(&only);
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    }
    Names names = {0};
    Stat *stats = NULL;
    Slice *slices = calloc(MAX_THREADS, sizeof *slices);       /* a few KiB each (the buckets) */
    if (slices == NULL) {
        close(dfd);
        PyBuffer_Release(&only);
        return PyErr_NoMemory();
    }
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
            slices[t].dfd = dfd;
            slices[t].names = names.names;
            slices[t].lengths = names.lengths;
            slices[t].stats = stats;
            slices[t].start = names.n * t / threads;
            slices[t].stop = names.n * (t + 1) / threads;
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
        free(slices);
        PyBuffer_Release(&only);
        errno = failed;
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    }
    uint64_t bucket_low[BUCKETS] = {0}, bucket_high[BUCKETS] = {0};
    for (size_t t = 0; t < threads; t++) {
        if (slices[t].error) {
            errno = slices[t].error;
            PyErr_SetFromErrnoWithFilename(PyExc_OSError, names.names[slices[t].failed]);
            free_names(&names);
            free(stats);
            free(slices);
            PyBuffer_Release(&only);
            return NULL;
        }
        for (int b = 0; b < BUCKETS; b++) {
            bucket_low[b] += slices[t].bucket_low[b];
            bucket_high[b] += slices[t].bucket_high[b];
        }
    }
    free(slices);
    PyObject *entries = Py_None;
    Py_INCREF(Py_None);
    if (full) {
        Py_DECREF(Py_None);
        entries = PyList_New(0);
        for (size_t i = 0; entries != NULL && i < names.n; i++) {
            if (!stats[i].ok || (wanted != NULL && !wanted[stats[i].bucket])) continue;
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
    PyBuffer_Release(&only);
    if (entries == NULL)
        return NULL;
    unsigned char digests[BUCKETS * 16];
    for (int b = 0; b < BUCKETS; b++)
        for (int k = 0; k < 8; k++) {
            digests[16 * b + k] = (unsigned char)(bucket_high[b] >> (8 * k));
            digests[16 * b + 8 + k] = (unsigned char)(bucket_low[b] >> (8 * k));
        }
    return Py_BuildValue("(y#N)", (const char *)digests, (Py_ssize_t)sizeof digests, entries);
}

static PyMethodDef methods[] = {
    {"scan", py_scan, METH_VARARGS,
     "scan(folder: bytes, full: bool, only: bytes | None = None) -> (buckets, entries or None)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "termbase.store._scan", "Stat a glossary's concept files in C (see store/index.py).", -1,
    methods,
};

PyMODINIT_FUNC PyInit__scan(void) {
    crc_init();
    return PyModule_Create(&module);
}
