/* termbase.store._scan: stat every concept file of a glossary folder, in C.
 *
 * The index stats every concept file before it answers (store/index.py). For 100,000 files the
 * Python loop costs more than the system calls themselves; this does the same walk with no
 * Python object per file when only a fingerprint of the listing is asked for.
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

static PyObject *py_scan(PyObject *self, PyObject *args) {
    const char *path;
    int full;
    if (!PyArg_ParseTuple(args, "yp", &path, &full))
        return NULL;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    DIR *dir = fdopendir(dfd);
    if (dir == NULL) {
        close(dfd);
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    }
    PyObject *entries = full ? PyList_New(0) : Py_None;
    if (entries == NULL) { closedir(dir); return NULL; }
    if (!full) Py_INCREF(Py_None);
    uint64_t low = 0, high = 0;
    Py_ssize_t count = 0;
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(dir)) != NULL) {
        size_t n = strlen(entry->d_name);
        if (n < 5 || memcmp(entry->d_name + n - 5, ".yaml", 5) != 0)
            continue;
        struct stat st;
        if (fstatat(dfd, entry->d_name, &st, 0) != 0) {
            if (errno == ENOENT) { errno = 0; continue; }      /* removed while we looked */
            PyErr_SetFromErrnoWithFilename(PyExc_OSError, entry->d_name);
            Py_DECREF(entries);
            closedir(dir);
            return NULL;
        }
        int64_t fields[4] = {(int64_t)st.st_size,
                             (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
                             (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec,
                             (int64_t)st.st_ino};
        uint64_t h = fnv(fields, sizeof fields, fnv(entry->d_name, n + 1, 0xcbf29ce484222325ULL));
        low += mix(h);
        high += mix(h ^ 0x9e3779b97f4a7c15ULL);
        count++;
        if (full) {
            PyObject *item = Py_BuildValue("(NLLLL)", PyUnicode_DecodeFSDefaultAndSize(entry->d_name, n),
                                           (long long)fields[0], (long long)fields[1], (long long)fields[2],
                                           (long long)fields[3]);
            if (item == NULL || PyList_Append(entries, item) < 0) {
                Py_XDECREF(item);
                Py_DECREF(entries);
                closedir(dir);
                return NULL;
            }
            Py_DECREF(item);
        }
        errno = 0;
    }
    int failed = errno;
    closedir(dir);
    if (failed) {
        Py_DECREF(entries);
        errno = failed;
        return PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
    }
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
