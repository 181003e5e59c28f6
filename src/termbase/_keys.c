/* termbase._keys: the inner loop of term recognition in C (optional; matcher.py has the same
 * logic in Python and falls back to it).
 *
 * `scan` turns a text into the automaton's key string exactly as matcher.py's fast path does
 * (split_chunk -> normalize_word -> token_key -> render_chunk, one key line per text line),
 * runs the pyahocorasick automaton over it, maps each hit back to the text, verifies it through
 * a cache (a Python callback on a miss), resolves leftmost-longest per line among the keys that
 * verify and builds the Hit tuples. What it cannot decide alone it hands back as "redo" lines for
 * the Python path: lines holding a character whose normalization is not a plain per-character
 * mapping (combining marks that compose, some ligatures, astral characters...) and lines where a
 * key holding punctuation matched.
 *
 * Per-character behaviour comes from a table that Python fills (matcher.char_entry, `learn`) from
 * the very functions the Python path uses, for the characters met so far; tests compare the paths.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* C_UNKNOWN: not learnt yet (scan and keys hand such characters back to be learnt first). */
enum { C_WORD = 0, C_SPACE = 1, C_SOFT = 2, C_APOS = 3, C_BOUND = 4, C_SLOW = 5, C_UNKNOWN = 6, C_PENDING = 7 };
#define MAX_REPL 4

static unsigned char char_class[65536];
static unsigned char repl_len[65536];
static Py_UCS4 repl[65536][MAX_REPL];

/* ---- growable buffers -------------------------------------------------------------------- */

typedef struct { Py_UCS4 *data; Py_ssize_t len, cap; } ubuf;    /* normalized tokens */
typedef struct { Py_UCS2 *data; Py_ssize_t len, cap; } kbuf;    /* keys: every table character is BMP */
typedef struct { Py_ssize_t *data; Py_ssize_t len, cap; } sbuf;
typedef struct { Py_ssize_t kpos, start, end, line; } unit_t;   /* a word: its key's offset, its span */
typedef struct { unit_t *data; Py_ssize_t len, cap; } ulist;

#define GROW(b, extra) ((b)->len + (extra) <= (b)->cap ? 0 : grow((void **)&(b)->data, &(b)->cap, \
                        (b)->len + (extra), sizeof(*(b)->data)))

static int grow(void **data, Py_ssize_t *cap, Py_ssize_t need, size_t size) {
    Py_ssize_t n = *cap ? *cap : 1024;
    while (n < need) n *= 2;
    void *grown = PyMem_Realloc(*data, n * size);
    if (!grown) { PyErr_NoMemory(); return -1; }
    *data = grown; *cap = n;
    return 0;
}

static int sbuf_push(sbuf *b, Py_ssize_t value) {
    if (GROW(b, 1) < 0) return -1;
    b->data[b->len++] = value;
    return 0;
}

#define PUT(buf, ch) ((buf)->data[(buf)->len++] = (ch))

/* ---- token keys (matcher.token_key) ------------------------------------------------------ */

#define AR_ALEF 0x0627
#define AR_LAM 0x0644
#define AR_HEH 0x0647
#define AR_TEH 0x062A
#define AR_WAW 0x0648
#define AR_YEH 0x064A
#define AR_NOON 0x0646

static int is_arabic_cp(Py_UCS4 c) {
    return (c >= 0x0600 && c <= 0x06FF) || (c >= 0x0750 && c <= 0x077F) || (c >= 0x08A0 && c <= 0x08FF)
        || (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFC);
}

static int is_clitic_letter(Py_UCS4 c) {   /* و ف ب ك ل */
    return c == 0x0648 || c == 0x0641 || c == 0x0628 || c == 0x0643 || c == 0x0644;
}

static int ascii_alpha(Py_UCS4 c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static int ends_with(const Py_UCS4 *w, Py_ssize_t n, const char *suffix) {
    Py_ssize_t k = (Py_ssize_t)strlen(suffix);
    if (n < k) return 0;
    for (Py_ssize_t i = 0; i < k; i++)
        if (w[n - k + i] != (Py_UCS4)(unsigned char)suffix[i]) return 0;
    return 1;
}

static void put_all(kbuf *out, const Py_UCS4 *w, Py_ssize_t n) {
    Py_UCS2 *to = out->data + out->len;
    for (Py_ssize_t i = 0; i < n; i++) to[i] = (Py_UCS2)w[i];
    out->len += n;
}

/* Append the key of normalized token w[0:n] (n > 0) to out; out has room for n characters. */
static void token_key(const Py_UCS4 *w, Py_ssize_t n, kbuf *out) {
    int arabic = 0, ascii = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_arabic_cp(w[i])) { arabic = 1; break; }
        if (w[i] > 127) ascii = 0;
    }
    if (arabic) {   /* _peel, then _strip_ar_suffix */
        while (n > 2) {
            if (is_clitic_letter(w[0])) { w++; n--; }
            else if (n > 3 && w[0] == AR_ALEF && w[1] == AR_LAM) { w += 2; n -= 2; }
            else break;
        }
        if (n - 2 >= 2) {
            Py_UCS4 a = w[n - 2], b = w[n - 1];
            if ((a == AR_ALEF && b == AR_TEH) || (a == AR_WAW && b == AR_NOON) ||
                (a == AR_YEH && b == AR_NOON) || (a == AR_ALEF && b == AR_NOON))
                n -= 2;
        }
        if (n - 1 >= 2 && (w[n - 1] == AR_HEH || w[n - 1] == AR_TEH)) n -= 1;
        put_all(out, w, n);
        return;
    }
    if (ascii && ascii_alpha(w[0])) {   /* _strip_en_suffix */
        if (ends_with(w, n, "'s")) n -= 2;
        else if (ends_with(w, n, "'")) n -= 1;
        if (n > 4 && ends_with(w, n, "ies")) {
            put_all(out, w, n - 3);
            PUT(out, 'y');
            return;
        }
        if (ends_with(w, n, "sses")) n -= 2;
        else if (n > 4 && (ends_with(w, n, "ches") || ends_with(w, n, "shes") || ends_with(w, n, "xes")
                           || ends_with(w, n, "zes"))) n -= 2;
        else if (n > 3 && ends_with(w, n, "s") && !ends_with(w, n, "ss") && !ends_with(w, n, "us")
                 && !ends_with(w, n, "is")) n -= 1;
    }
    put_all(out, w, n);
}

/* ---- one text into one key string --------------------------------------------------------- */

typedef struct {
    Py_UCS4 *text;      /* the text, widened */
    kbuf keys;          /* the key string: one key line per text line, joined by '\n' */
    sbuf kline;         /* per line: offset of its key line in keys */
    sbuf tline;         /* per line: offset of the line in the text */
    ulist units;        /* per word */
    sbuf slow;          /* lines left to the Python path */
    ubuf norm;          /* scratch: normalized tokens of one chunk */
} keyed;

typedef struct { int boundary; Py_ssize_t start, end, noff, nlen; } piece;

static void keyed_free(keyed *k) {
    PyMem_Free(k->text); PyMem_Free(k->keys.data); PyMem_Free(k->kline.data); PyMem_Free(k->tline.data);
    PyMem_Free(k->units.data); PyMem_Free(k->slow.data); PyMem_Free(k->norm.data);
}

/* Key of one chunk [cs, ce) appended to k->keys (preceded by the separator if any earlier chunk
 * of the line had a key); *first says whether none had. Returns -1 on error. */
static int key_chunk(keyed *k, const Py_UCS4 *s, Py_ssize_t cs, Py_ssize_t ce,
                     Py_ssize_t line, int *first, piece **pieces, Py_ssize_t *pcap) {
    Py_ssize_t np = 0, tok = -1;
    k->norm.len = 0;
    if (*pcap < (ce - cs) * 2 + 2) {
        Py_ssize_t cap = (ce - cs) * 2 + 16;
        piece *grown = PyMem_Realloc(*pieces, cap * sizeof(piece));
        if (!grown) { PyErr_NoMemory(); return -1; }
        *pieces = grown; *pcap = cap;
    }
    piece *p = *pieces;
    if (GROW(&k->norm, (ce - cs) * MAX_REPL) < 0) return -1;
#define ADD_TOKEN(from, to) do { \
        Py_ssize_t off = k->norm.len; \
        Py_UCS4 *out = k->norm.data + off; \
        for (Py_ssize_t t = (from); t < (to); t++) { \
            Py_UCS4 c = s[t]; \
            unsigned char len = repl_len[c]; \
            if (len == 1) *out++ = repl[c][0]; \
            else for (int r = 0; r < len; r++) *out++ = repl[c][r]; \
        } \
        k->norm.len = out - k->norm.data; \
        p[np].boundary = 0; p[np].start = (from); p[np].end = (to); \
        p[np].noff = off; p[np].nlen = k->norm.len - off; np++; \
    } while (0)
    for (Py_ssize_t j = cs; j < ce; j++) {
        int cls = char_class[s[j]];
        if (cls == C_WORD) {
            if (tok < 0) tok = j;
            continue;
        }
        if (cls == C_APOS && tok >= 0) {
            Py_UCS4 before = s[j - 1];
            if (ascii_alpha(before) && ((j + 1 < ce && ascii_alpha(s[j + 1]))
                                        || before == 's' || before == 'S'))
                continue;
        }
        if (tok >= 0) { ADD_TOKEN(tok, j); tok = -1; }
        if (cls != C_SOFT && (np == 0 || !p[np - 1].boundary)) {
            p[np].boundary = 1; np++;
        }
    }
    if (tok >= 0) ADD_TOKEN(tok, ce);
#undef ADD_TOKEN
    /* drop tokens that normalize to nothing; render (matcher.render_chunk) */
    int any = 0;
    for (Py_ssize_t i = 0; i < np; i++)
        if (p[i].boundary || p[i].nlen) { any = 1; break; }
    if (!any) return 0;
    if (GROW(&k->keys, 2 + 3 * np + k->norm.len) < 0 || GROW(&k->units, np) < 0) return -1;
    if (!*first) { PUT(&k->keys, ' '); PUT(&k->keys, ' '); }
    *first = 0;
    int empty = 1, words = 0;
    for (Py_ssize_t i = 0; i < np; i++) {
        if (p[i].boundary) {
            if (!empty) PUT(&k->keys, ' ');
            PUT(&k->keys, '|');
            empty = 0;
            continue;
        }
        if (!p[i].nlen) continue;
        if (!empty) {
            PUT(&k->keys, ' ');
            if (words) PUT(&k->keys, ' ');
        }
        unit_t *u = &k->units.data[k->units.len++];
        u->kpos = k->keys.len; u->start = p[i].start; u->end = p[i].end; u->line = line;
        token_key(k->norm.data + p[i].noff, p[i].nlen, &k->keys);
        empty = 0; words = 1;
    }
    return 0;
}

/* Key `text` into k: 0, or 1 if it holds characters not learnt yet, or -1 on error. */
static int make_keys(PyObject *text, keyed *k) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, line = 0;
    if (!(k->text = PyUnicode_AsUCS4Copy(text))) return -1;
    const Py_UCS4 *s = k->text;
    piece *pieces = NULL;
    Py_ssize_t pcap = 0;
    int status = -1;
    while (1) {   /* one line: its chunks (runs of non-space) keyed as they are found */
        if (sbuf_push(&k->kline, k->keys.len) < 0 || sbuf_push(&k->tline, i) < 0 || GROW(&k->keys, 2) < 0) goto done;
        PUT(&k->keys, ' ');
        Py_ssize_t keys_mark = k->keys.len, units_mark = k->units.len;
        int first = 1, slow = 0;
        while (1) {
            while (i < n && s[i] <= 0xFFFF && char_class[s[i]] == C_SPACE && s[i] != '\n') i++;
            if (i >= n || s[i] == '\n') break;
            Py_ssize_t cs = i;
            for (; i < n; i++) {
                unsigned char cls = s[i] > 0xFFFF ? C_SLOW : char_class[s[i]];
                if (cls == C_SPACE) break;
                if (cls == C_SLOW) { slow = 1; break; }
                if (cls == C_UNKNOWN) { status = 1; goto done; }
            }
            if (slow) break;
            if (key_chunk(k, s, cs, i, line, &first, &pieces, &pcap) < 0) goto done;
        }
        if (slow) {   /* the Python path takes this line: drop what was keyed of it */
            k->keys.len = keys_mark;
            k->units.len = units_mark;
            if (sbuf_push(&k->slow, line) < 0) goto done;
            while (i < n && s[i] != '\n') i++;
        }
        if (GROW(&k->keys, 2) < 0) goto done;
        PUT(&k->keys, ' ');
        if (i >= n) break;
        PUT(&k->keys, '\n');
        i++;
        line++;
    }
    status = 0;
done:
    PyMem_Free(pieces);
    return status;
}

static PyObject *keys_string(keyed *k) {
    return PyUnicode_FromKindAndData(PyUnicode_2BYTE_KIND, k->keys.data, k->keys.len);
}

static PyObject *list_of(sbuf *b) {
    PyObject *list = PyList_New(b->len);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < b->len; i++) {
        PyObject *v = PyLong_FromSsize_t(b->data[i]);
        if (!v) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

/* The characters of `text` not learnt yet, once each (a new str), or NULL with no error if none. */
static PyObject *unknown_chars(PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), count = 0;
    Py_UCS4 *found = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch > 0xFFFF || char_class[ch] != C_UNKNOWN) continue;
        if (!found && !(found = PyMem_Malloc(65536 * sizeof(Py_UCS4)))) { PyErr_NoMemory(); return NULL; }
        char_class[ch] = C_PENDING;
        found[count++] = ch;
    }
    if (!count) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) char_class[found[i]] = C_UNKNOWN;
    PyObject *chars = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, found, count);
    PyMem_Free(found);
    return chars;
}

/* ---- Python API --------------------------------------------------------------------------- */

static PyObject *py_learn(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *chars;
    Py_buffer classes, lengths, repls;
    if (!PyArg_ParseTuple(args, "Uy*y*y*", &chars, &classes, &lengths, &repls)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(chars);
    if (classes.len != n || lengths.len != n || repls.len != n * MAX_REPL * (Py_ssize_t)sizeof(uint32_t)) {
        PyErr_SetString(PyExc_ValueError, "learn: one class, one length and 4 characters per character expected");
        goto done;
    }
    const unsigned char *cls = classes.buf, *len = lengths.buf;
    const uint32_t *rep = repls.buf;
    for (Py_ssize_t i = 0; i < n; i++) {   /* check everything before changing anything */
        if (PyUnicode_READ_CHAR(chars, i) > 0xFFFF || cls[i] > C_SLOW || len[i] > MAX_REPL) goto bad;
        for (int r = 0; r < len[i]; r++)
            if (rep[i * MAX_REPL + r] > 0xFFFF) goto bad;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(chars, i);
        char_class[ch] = cls[i];
        repl_len[ch] = len[i];
        for (int r = 0; r < MAX_REPL; r++) repl[ch][r] = rep[i * MAX_REPL + r];
    }
    result = Py_NewRef(Py_None);
    goto done;
bad:
    PyErr_SetString(PyExc_ValueError, "learn: a class, length or character out of range");
done:
    PyBuffer_Release(&classes); PyBuffer_Release(&lengths); PyBuffer_Release(&repls);
    return result;
}

PyDoc_STRVAR(keys_doc, "keys(text) -> (key string, lines left to the Python path), or (None, characters to learn first)");

static PyObject *py_keys(PyObject *self, PyObject *text) {
    (void)self;
    if (!PyUnicode_Check(text)) { PyErr_SetString(PyExc_TypeError, "text must be str"); return NULL; }
    keyed k = {0};
    PyObject *result = NULL, *ks = NULL, *slow = NULL;
    int status = make_keys(text, &k);
    if (status == 1 && (ks = unknown_chars(text)))
        result = PyTuple_Pack(2, Py_None, ks);
    else if (status == 0 && (ks = keys_string(&k)) && (slow = list_of(&k.slow)))
        result = PyTuple_Pack(2, ks, slow);
    Py_XDECREF(ks); Py_XDECREF(slow);
    keyed_free(&k);
    return result;
}

/* State of one scan. */
typedef struct {
    PyObject *text, *automaton, *cache, *verify, *keys, *hits, *redo, *line_number;
    PyTypeObject *hit_type;
    const int32_t *key_len, *key_seps;
    Py_ssize_t groups, first_line, redo_line, line_number_of;
    keyed k;
} scan_t;

/* The Hit for key `gid` over units [u, u + seps] of `line` if it verifies (new reference),
 * Py_None if it does not or the units do not fit (new reference), NULL on error. */
static PyObject *verified_hit(scan_t *sc, Py_ssize_t gid, Py_ssize_t u, Py_ssize_t line) {
    Py_ssize_t seps = sc->key_seps[gid];
    ulist *units = &sc->k.units;
    if (seps < 0 || u + seps >= units->len || units->data[u].line != line || units->data[u + seps].line != line)
        return Py_NewRef(Py_None);
    Py_ssize_t start = units->data[u].start, stop = units->data[u + seps].end, base = sc->k.tline.data[line];
    PyObject *surface = PyUnicode_Substring(sc->text, start, stop);
    if (!surface) return NULL;
    /* cache[surface]: [value, entries or None, value, ...], mostly one pair */
    PyObject *verdicts = PyDict_GetItemWithError(sc->cache, surface), *found = NULL;   /* borrowed */
    if (!verdicts) {
        if (PyErr_Occurred() || !(verdicts = PyList_New(0))) { Py_DECREF(surface); return NULL; }
        int status = PyDict_SetItem(sc->cache, surface, verdicts);
        Py_DECREF(verdicts);   /* the cache holds it */
        if (status < 0) { Py_DECREF(surface); return NULL; }
    } else if (!PyList_Check(verdicts)) {
        PyErr_SetString(PyExc_TypeError, "scan: cache values must be lists");
        Py_DECREF(surface);
        return NULL;
    }
    for (Py_ssize_t i = 0; i + 1 < PyList_GET_SIZE(verdicts); i += 2)
        if (PyLong_AsSsize_t(PyList_GET_ITEM(verdicts, i)) == gid) {
            found = Py_NewRef(PyList_GET_ITEM(verdicts, i + 1));
            break;
        }
    if (!found) {
        PyObject *gid_obj = PyLong_FromSsize_t(gid);
        if (gid_obj) {
            found = PyObject_CallFunctionObjArgs(sc->verify, gid_obj, surface, NULL);
            if (found && (PyList_Append(verdicts, gid_obj) < 0 || PyList_Append(verdicts, found) < 0)) Py_CLEAR(found);
            Py_DECREF(gid_obj);
        }
    }
    if (!found || found == Py_None) { Py_DECREF(surface); return found; }
    if (sc->line_number_of != line || !sc->line_number) {   /* one int per line, shared by its hits */
        Py_XSETREF(sc->line_number, PyLong_FromSsize_t(sc->first_line + line));
        sc->line_number_of = line;
    }
    PyObject *hit = sc->hit_type->tp_alloc(sc->hit_type, 5);   /* as tuple.__new__(Hit, ...) does */
    PyObject *b = PyLong_FromSsize_t(start - base), *c = PyLong_FromSsize_t(stop - base);
    if (!hit || !sc->line_number || !b || !c) {
        Py_XDECREF(hit); Py_XDECREF(b); Py_XDECREF(c); Py_DECREF(surface); Py_DECREF(found);
        return NULL;
    }
    PyTuple_SET_ITEM(hit, 0, Py_NewRef(sc->line_number)); PyTuple_SET_ITEM(hit, 1, b); PyTuple_SET_ITEM(hit, 2, c);
    PyTuple_SET_ITEM(hit, 3, surface); PyTuple_SET_ITEM(hit, 4, found);
    return hit;
}

static int parse_match(PyObject *item, Py_ssize_t groups, Py_ssize_t *end, Py_ssize_t *gid) {
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
        PyErr_SetString(PyExc_TypeError, "automaton matches must be (end, value) pairs");
        return -1;
    }
    *end = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 0));
    *gid = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 1));
    if ((*end == -1 || *gid == -1) && PyErr_Occurred()) return -1;
    if (*gid < 0 || *gid >= groups) { PyErr_SetString(PyExc_IndexError, "automaton value out of range"); return -1; }
    return 0;
}

/* Hand `line` to the caller (no hit of it is made yet: a line's hits are made when it ends). */
static int redo_line(scan_t *sc, Py_ssize_t line) {
    sc->redo_line = line;
    PyObject *v = PyLong_FromSsize_t(line);
    if (!v) return -1;
    int status = PyList_Append(sc->redo, v);
    Py_DECREF(v);
    return status;
}

/* A key occurrence in one line: its first word unit, its words - 1, its automaton value. */
typedef struct { Py_ssize_t unit, seps, gid; } candidate;
typedef struct { candidate *data; Py_ssize_t len, cap; } clist;

static int before(const candidate *x, const candidate *y) {   /* by start, then longest first */
    return x->unit != y->unit ? x->unit < y->unit : x->seps > y->seps;
}

static void sort_candidates(clist *found) {   /* insertion sort: they come almost in order */
    for (Py_ssize_t i = 1; i < found->len; i++) {
        candidate c = found->data[i];
        Py_ssize_t j = i;
        while (j > 0 && before(&c, &found->data[j - 1])) { found->data[j] = found->data[j - 1]; j--; }
        found->data[j] = c;
    }
}

/* Leftmost-longest among the candidates of `line` that verify (matcher._all_overlaps), verifying
 * only those that could still be taken; the candidates are used up. */
static int resolve_line(scan_t *sc, Py_ssize_t line, clist *found) {
    sort_candidates(found);
    Py_ssize_t next_free = 0;
    for (Py_ssize_t i = 0; i < found->len; i++) {
        candidate *c = &found->data[i];
        if (c->unit < next_free) continue;
        PyObject *hit = verified_hit(sc, c->gid, c->unit, line);
        if (!hit) return -1;
        if (hit != Py_None) {
            int status = PyList_Append(sc->hits, hit);
            Py_DECREF(hit);
            if (status < 0) return -1;
            next_free = c->unit + c->seps + 1;
            continue;
        }
        Py_DECREF(hit);
    }
    found->len = 0;
    return 0;
}

PyDoc_STRVAR(scan_doc,
"scan(text, automaton, key_lengths, key_seps, cache, verify, hit_type, first_line)\n"
"-> (hits, redo, number of lines), or (None, characters to learn first)\n\n"
"The verified leftmost-longest hits of every line of `text`, and the 0-based lines whose hits the\n"
"caller must find itself (they are left out). key_lengths/key_seps: int32 buffers indexed by\n"
"automaton value (seps -1: the key holds punctuation); cache: dict surface -> [value, entries or\n"
"None, ...], filled by verify(value, surface); hit_type: a tuple subclass of 5 fields.");

static PyObject *py_scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer lengths_buf, seps_buf;
    PyObject *hit_type_obj, *result = NULL, *iter = NULL, *item = NULL;
    scan_t sc = {0};
    clist found = {0};
    if (!PyArg_ParseTuple(args, "UOy*y*O!OOn", &sc.text, &sc.automaton, &lengths_buf, &seps_buf,
                          &PyDict_Type, &sc.cache, &sc.verify, &hit_type_obj, &sc.first_line))
        return NULL;
    if (!PyType_Check(hit_type_obj) || !PyType_IsSubtype((PyTypeObject *)hit_type_obj, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "hit_type must be a tuple subclass");
        goto done;
    }
    sc.hit_type = (PyTypeObject *)hit_type_obj;
    sc.key_len = lengths_buf.buf;
    sc.key_seps = seps_buf.buf;
    sc.groups = lengths_buf.len / 4;
    sc.redo_line = -1;
    if (seps_buf.len != lengths_buf.len) { PyErr_SetString(PyExc_ValueError, "key tables differ in size"); goto done; }
    int status = make_keys(sc.text, &sc.k);
    if (status < 0) goto done;
    if (status == 1) {
        PyObject *unknown = unknown_chars(sc.text);
        if (unknown) result = Py_BuildValue("(ON)", Py_None, unknown);
        goto done;
    }
    if (!(sc.hits = PyList_New(0)) || !(sc.redo = list_of(&sc.k.slow))) goto done;
    if (!(sc.keys = keys_string(&sc.k))) goto done;
    /* every occurrence of every key: pyahocorasick copies its input per call, so one call per
     * text, and leftmost-longest is resolved here, per line, among the keys that verify */
    if (!(iter = PyObject_CallMethod(sc.automaton, "iter", "O", sc.keys))) goto done;
    Py_ssize_t line = 0, lines = sc.k.kline.len, last = 0, units = sc.k.units.len;
    const unit_t *unit_at = sc.k.units.data;
    while ((item = PyIter_Next(iter))) {
        Py_ssize_t end, gid;
        if (parse_match(item, sc.groups, &end, &gid) < 0) goto done;
        Py_CLEAR(item);
        if (line + 1 < lines && sc.k.kline.data[line + 1] <= end) {   /* matches come by their end */
            if (found.len && resolve_line(&sc, line, &found) < 0) goto done;
            while (line + 1 < lines && sc.k.kline.data[line + 1] <= end) line++;
        }
        if (sc.redo_line == line) continue;
        /* the match's last word: the last unit whose key starts before `end` */
        while (last + 1 < units && unit_at[last + 1].kpos < end) last++;
        Py_ssize_t unit = last - sc.key_seps[gid];
        if (sc.key_seps[gid] < 0 || unit < 0 || unit_at[unit].kpos != end - sc.key_len[gid] + 2) {
            found.len = 0;   /* a key with punctuation: the Python path takes the line */
            if (redo_line(&sc, line) < 0) goto done;
            continue;
        }
        if (GROW(&found, 1) < 0) goto done;
        found.data[found.len++] = (candidate){unit, sc.key_seps[gid], gid};
    }
    if (PyErr_Occurred()) goto done;
    if (found.len && resolve_line(&sc, line, &found) < 0) goto done;
    result = Py_BuildValue("(OOn)", sc.hits, sc.redo, sc.k.kline.len);
done:
    Py_XDECREF(item); Py_XDECREF(iter); Py_XDECREF(sc.keys); Py_XDECREF(sc.hits); Py_XDECREF(sc.redo);
    Py_XDECREF(sc.line_number);
    keyed_free(&sc.k);
    PyMem_Free(found.data);
    PyBuffer_Release(&lengths_buf); PyBuffer_Release(&seps_buf);
    return result;
}

static PyMethodDef methods[] = {
    {"learn", py_learn, METH_VARARGS,
     "learn(chars, classes, lengths, replacements): class, replacement length and 4 native uint32 "
     "replacement characters of each BMP character of `chars`"},
    {"keys", py_keys, METH_O, keys_doc},
    {"scan", py_scan, METH_VARARGS, scan_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "termbase._keys", "Term recognition's inner loop (see matcher.py).", -1, methods,
};

PyMODINIT_FUNC PyInit__keys(void) {
    memset(char_class, C_UNKNOWN, sizeof(char_class));
    return PyModule_Create(&module);
}
