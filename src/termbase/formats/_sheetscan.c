/* The common rows of an XLSX sheet read in C, for formats/sheetxml.py.
 *
 * A Scanner is handed the sheet's XML a piece at a time (`scan(data, final)`) and returns what it
 * read from the front of it, in document order, with how many bytes that took:
 *  - (row number, [Cell ...]) for each <row> whose every cell is a common one: an inline string
 *    (<is><t>text</t></is>), a shared string (t="s", <v>index</v>) or a number without a date
 *    style; the cells are sheetxml.Cell tuples, exactly as the lxml path makes them;
 *  - bytes for everything else, which the caller feeds to lxml in the same order: the document's
 *    head up to and including <sheetData>, any row with anything unusual in it (a formula, rich
 *    text, another cell type, a date, a comment, a cell out of order ...), and everything from
 *    </sheetData> on (merged ranges among it).
 * So lxml still parses and checks all but the rows read here, and those are read strictly: the
 * least doubt (an attribute spelled twice, a control character, an unknown entity, bytes that
 * are not UTF-8 ...) hands the row to lxml, which reads it or reports the error. A document that
 * is not a UTF-8 <worksheet> in the SpreadsheetML namespace, without prefixes, goes to lxml whole.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define SML "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define MAX_ATTRS 24
#define MAX_ROW_BYTES (16 << 20)     /* a row longer than this (not yet complete) goes to lxml */
#define MAX_COLUMN 16384
#define MAX_TEXT_BYTES (1 << 20)     /* a cell holds at most 32,767 characters */

enum { HEAD, ROWS, REST };
enum { UNUSUAL = 0, DONE = 1, MORE = -1, FAILED = -2 };
enum { T_NONE, T_SHARED, T_INLINE };

#define MAX_PREFIXES 16
#define MAX_PREFIX 32

typedef struct {
    PyObject_HEAD
    int phase, depth, rooted;
    int prefix_count;           /* the namespace prefixes the root declares, which attributes may use */
    char prefixes[MAX_PREFIXES][MAX_PREFIX];
    PyObject *strings;          /* list: the shared strings */
    PyTypeObject *cell_type;    /* sheetxml.Cell */
    PyObject *quoted, *dated;   /* bytes: one flag per style number */
    PyObject *kind_s, *kind_n;
} Scanner;

typedef struct { const char *name, *value; Py_ssize_t name_length, value_length; } Attribute;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && is_space(*p)) p++;
    return p;
}

static int name_start(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':'; }
static int name_char(unsigned char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

/* Does the tag at p (just after '<') have exactly this name? MORE if the buffer ends first. */
static int tag_is(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);
    if (end - p < (Py_ssize_t)n + 1) {
        return (end - p <= (Py_ssize_t)n && memcmp(p, name, end - p) == 0) ? MORE : 0;
    }
    if (memcmp(p, name, n) != 0) return 0;
    char c = p[n];
    return is_space(c) || c == '>' || c == '/';
}

/* The attributes of a tag from p (after its name) to its '>' or '/>'. strict: an entity, '<' or
 * a control character in a value, an xmlns attribute, a prefix the root does not declare, a name
 * spelled twice or too many attributes are UNUSUAL. */
static int read_attributes(const char *p, const char *end, const Scanner *strict, Attribute *attrs, int *count,
                           int *empty, const char **after)
{
    *count = 0;
    for (;;) {
        const char *before = p;
        p = skip_space(p, end);
        if (p >= end) return MORE;
        if (*p == '>') { *empty = 0; *after = p + 1; return DONE; }
        if (*p == '/') {
            if (p + 1 >= end) return MORE;
            if (p[1] != '>') return UNUSUAL;
            *empty = 1; *after = p + 2; return DONE;
        }
        if (p == before || !name_start((unsigned char)*p)) return UNUSUAL;
        const char *name = p;
        while (p < end && name_char((unsigned char)*p)) p++;
        Py_ssize_t name_length = p - name;
        p = skip_space(p, end);
        if (p >= end) return MORE;
        if (*p != '=') return UNUSUAL;
        p = skip_space(p + 1, end);
        if (p >= end) return MORE;
        char quote = *p;
        if (quote != '"' && quote != '\'') return UNUSUAL;
        const char *value = ++p;
        const char *close = memchr(p, quote, end - p);
        if (close == NULL) return MORE;
        for (const char *q = value; q < close; q++) {
            unsigned char c = (unsigned char)*q;
            if (c == '<') return UNUSUAL;
            if (strict && (c == '&' || (c < 0x20 && c != '\t' && c != '\n'))) return UNUSUAL;
        }
        if (strict) {
            if (name_length >= 5 && memcmp(name, "xmlns", 5) == 0 && (name_length == 5 || name[5] == ':'))
                return UNUSUAL;
            const char *colon = memchr(name, ':', name_length);
            if (colon != NULL && !(colon - name == 3 && memcmp(name, "xml", 3) == 0)) {
                int declared = 0;
                for (int i = 0; i < strict->prefix_count && !declared; i++)
                    declared = (Py_ssize_t)strlen(strict->prefixes[i]) == colon - name &&
                               memcmp(strict->prefixes[i], name, colon - name) == 0;
                if (!declared) return UNUSUAL;
            }
            if (*count >= MAX_ATTRS) return UNUSUAL;
            for (int i = 0; i < *count; i++)
                if (attrs[i].name_length == name_length && memcmp(attrs[i].name, name, name_length) == 0)
                    return UNUSUAL;
        }
        if (*count < MAX_ATTRS) {
            attrs[*count].name = name; attrs[*count].name_length = name_length;
            attrs[*count].value = value; attrs[*count].value_length = close - value;
            (*count)++;
        }
        p = close + 1;
    }
}

static const Attribute *attribute(const Attribute *attrs, int count, const char *name)
{
    Py_ssize_t n = (Py_ssize_t)strlen(name);
    for (int i = 0; i < count; i++)
        if (attrs[i].name_length == n && memcmp(attrs[i].name, name, n) == 0) return &attrs[i];
    return NULL;
}

/* One piece of markup or text at p, skipped: DONE with *after, MORE, or UNUSUAL (a DOCTYPE, a
 * broken tag). *kind: 1 start tag, 2 end tag, 3 empty tag, 0 anything else; the name is returned. */
static int skip_token(const char *p, const char *end, const char **after, int *kind,
                      const char **name, Py_ssize_t *name_length, Attribute *attrs, int *count)
{
    *kind = 0;
    if (*p != '<') {
        const char *next = memchr(p, '<', end - p);
        *after = next ? next : end;
        return DONE;
    }
    if (end - p < 2) return MORE;
    const char *close;
    if (p[1] == '!') {
        if (end - p < 9) return MORE;
        if (memcmp(p, "<!--", 4) == 0) {
            for (close = p + 4; close + 2 < end; close++)
                if (close[0] == '-' && close[1] == '-' && close[2] == '>') { *after = close + 3; return DONE; }
            return MORE;
        }
        if (memcmp(p, "<![CDATA[", 9) == 0) {
            for (close = p + 9; close + 2 < end; close++)
                if (close[0] == ']' && close[1] == ']' && close[2] == '>') { *after = close + 3; return DONE; }
            return MORE;
        }
        return UNUSUAL;
    }
    if (p[1] == '?') {
        for (close = p + 2; close + 1 < end; close++)
            if (close[0] == '?' && close[1] == '>') { *after = close + 2; return DONE; }
        return MORE;
    }
    int ending = p[1] == '/';
    const char *q = p + 1 + ending;
    *name = q;
    while (q < end && name_char((unsigned char)*q)) q++;
    if (q >= end) return MORE;
    *name_length = q - *name;
    if (*name_length == 0 || !name_start((unsigned char)**name)) return UNUSUAL;
    if (ending) {
        q = skip_space(q, end);
        if (q >= end) return MORE;
        if (*q != '>') return UNUSUAL;
        *kind = 2; *after = q + 1;
        return DONE;
    }
    int empty, found = read_attributes(q, end, NULL, attrs, count, &empty, after);
    if (found != DONE) return found;
    *kind = empty ? 3 : 1;
    return DONE;
}

/* A whole element from its start tag at p: DONE with *after past its end tag, MORE or UNUSUAL. */
static int skip_element(const char *p, const char *end, const char **after)
{
    Attribute attrs[MAX_ATTRS];
    int depth = 0, kind, count;
    const char *name;
    Py_ssize_t name_length;
    while (p < end) {
        int found = skip_token(p, end, &p, &kind, &name, &name_length, attrs, &count);
        if (found != DONE) return found;
        if (kind == 1) depth++;
        else if (kind == 2) depth--;
        if (depth <= 0 && kind != 0) {
            if (depth < 0) return UNUSUAL;
            *after = p;
            return DONE;
        }
    }
    return MORE;
}

/* Text from p to the next '<' as a str: entities decoded when allowed; UNUSUAL for anything an
 * XML parser would change or refuse (a CR, a control character, "]]>", U+FFFE/FFFF, an unknown
 * entity, bytes that are not UTF-8, a text longer than any cell's). */
static int read_text(const char *p, Py_ssize_t n, int entities, PyObject **text)
{
    const unsigned char *s = (const unsigned char *)p;
    int amp = 0;
    if (n > MAX_TEXT_BYTES) return UNUSUAL;          /* lxml applies libxml2's limit on a text node */
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c < 0x20) { if (c != '\t' && c != '\n') return UNUSUAL; }
        else if (c == '&') { if (!entities) return UNUSUAL; amp = 1; }
        else if (c == ']') { if (i + 2 < n && s[i + 1] == ']' && s[i + 2] == '>') return UNUSUAL; }
        else if (c == 0xEF) { if (i + 2 < n && s[i + 1] == 0xBF && (s[i + 2] == 0xBE || s[i + 2] == 0xBF)) return UNUSUAL; }
    }
    char small[512];
    char *buffer = (char *)p;
    Py_ssize_t length = n;
    if (amp) {
        buffer = n <= (Py_ssize_t)sizeof small ? small : PyMem_Malloc(n);
        if (buffer == NULL) { PyErr_NoMemory(); return FAILED; }
        length = 0;
        for (Py_ssize_t i = 0; i < n;) {
            if (s[i] != '&') { buffer[length++] = (char)s[i++]; continue; }
            const unsigned char *semi = memchr(s + i, ';', n - i);
            Py_ssize_t k = semi ? semi - (s + i) : -1;   /* the entity's length before ';' */
            unsigned long code = 0;
            if (k == 3 && memcmp(s + i, "&lt", 3) == 0) code = '<';
            else if (k == 3 && memcmp(s + i, "&gt", 3) == 0) code = '>';
            else if (k == 4 && memcmp(s + i, "&amp", 4) == 0) code = '&';
            else if (k == 5 && memcmp(s + i, "&quot", 5) == 0) code = '"';
            else if (k == 5 && memcmp(s + i, "&apos", 5) == 0) code = '\'';
            else if (k >= 3 && k <= 10 && s[i + 1] == '#') {
                int hex = s[i + 2] == 'x';
                Py_ssize_t j = i + 2 + hex;
                if (j >= i + k) code = 0x110000;
                for (; j < i + k; j++) {
                    unsigned char d = s[j];
                    int digit = d >= '0' && d <= '9' ? d - '0' : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                              : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10 : -1;
                    if (digit < 0) { code = 0x110000; break; }
                    code = code * (hex ? 16 : 10) + digit;
                    if (code > 0x10FFFF) break;
                }
                if (!(code == 0x9 || code == 0xA || code == 0xD || (code >= 0x20 && code <= 0xD7FF) ||
                      (code >= 0xE000 && code <= 0xFFFD) || (code >= 0x10000 && code <= 0x10FFFF)))
                    code = 0;
            }
            if (code == 0) { if (buffer != small) PyMem_Free(buffer); return UNUSUAL; }
            if (code < 0x80) buffer[length++] = (char)code;
            else if (code < 0x800) {
                buffer[length++] = (char)(0xC0 | (code >> 6));
                buffer[length++] = (char)(0x80 | (code & 0x3F));
            } else if (code < 0x10000) {
                buffer[length++] = (char)(0xE0 | (code >> 12));
                buffer[length++] = (char)(0x80 | ((code >> 6) & 0x3F));
                buffer[length++] = (char)(0x80 | (code & 0x3F));
            } else {
                buffer[length++] = (char)(0xF0 | (code >> 18));
                buffer[length++] = (char)(0x80 | ((code >> 12) & 0x3F));
                buffer[length++] = (char)(0x80 | ((code >> 6) & 0x3F));
                buffer[length++] = (char)(0x80 | (code & 0x3F));
            }
            i += k + 1;
        }
    }
    *text = PyUnicode_DecodeUTF8(buffer, length, "strict");
    if (amp && buffer != small) PyMem_Free(buffer);
    if (*text == NULL) {
        if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) { PyErr_Clear(); return UNUSUAL; }
        return FAILED;
    }
    return DONE;
}

/* "</name>" (spaces allowed before '>') at p: DONE with *after, MORE or UNUSUAL. */
static int end_tag(const char *p, const char *end, const char *name, const char **after)
{
    size_t n = strlen(name);
    if (end - p < (Py_ssize_t)n + 3) return MORE;
    if (p[0] != '<' || p[1] != '/' || memcmp(p + 2, name, n) != 0) return UNUSUAL;
    p = skip_space(p + 2 + n, end);
    if (p >= end) return MORE;
    if (*p != '>') return UNUSUAL;
    *after = p + 1;
    return DONE;
}

/* A run of ASCII digits as a number (at most `most` digits, no leading zero unless "0"): -1 if not. */
static long digits_value(const char *p, Py_ssize_t n, int most)
{
    if (n < 1 || n > most || (n > 1 && p[0] == '0')) return -1;
    long value = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        value = value * 10 + (p[i] - '0');
    }
    return value;
}

/* The number of a <v> of a cell without a type, as sheetxml._number gives it; NULL + no error if it
 * is not the plain spelling read here. */
static PyObject *number_value(const char *p, Py_ssize_t n)
{
    char buffer[72];
    if (n < 1 || n > 64) return NULL;
    Py_ssize_t i = 0;
    int real = 0;
    if (p[i] == '-') i++;
    Py_ssize_t start = i;
    while (i < n && p[i] >= '0' && p[i] <= '9') i++;
    if (i == start) return NULL;
    if (i < n && p[i] == '.') {
        real = 1; start = ++i;
        while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        if (i == start) return NULL;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        real = 1; i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        start = i;
        while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        if (i == start) return NULL;
    }
    if (i != n) return NULL;
    memcpy(buffer, p, n);
    buffer[n] = 0;
    if (real) {
        double value = PyOS_string_to_double(buffer, NULL, NULL);
        if (value == -1.0 && PyErr_Occurred()) return NULL;
        return PyFloat_FromDouble(value);
    }
    return PyLong_FromString(buffer, NULL, 10);
}

/* One <c> at p (after "<c"): appends a Cell for a value, nothing for an empty cell. */
static int read_cell(Scanner *self, const char *p, const char *end, const char *row_digits, Py_ssize_t row_digits_length,
                     long *column, PyObject *cells, const char **after)
{
    Attribute attrs[MAX_ATTRS];
    int count, empty;
    int found = read_attributes(p, end, self, attrs, &count, &empty, &p);
    if (found != DONE) return found;
    const Attribute *r = attribute(attrs, count, "r"), *s = attribute(attrs, count, "s"), *t = attribute(attrs, count, "t");
    long index;
    char letters_buffer[4];
    const char *letters = letters_buffer;
    Py_ssize_t letters_length = 0;
    if (r != NULL) {
        while (letters_length < r->value_length && letters_length < 4 && r->value[letters_length] >= 'A' && r->value[letters_length] <= 'Z')
            letters_length++;
        if (letters_length < 1 || letters_length > 3) return UNUSUAL;
        if (r->value_length - letters_length != row_digits_length ||
            memcmp(r->value + letters_length, row_digits, row_digits_length) != 0) return UNUSUAL;
        letters = r->value;
        index = 0;
        for (Py_ssize_t i = 0; i < letters_length; i++) index = index * 26 + (letters[i] - 'A' + 1);
    } else {
        index = *column + 1;
        long rest = index;
        char reversed[4];
        while (rest > 0) { rest--; reversed[letters_length++] = (char)('A' + rest % 26); rest /= 26; if (letters_length > 3) return UNUSUAL; }
        for (Py_ssize_t i = 0; i < letters_length; i++) letters_buffer[i] = reversed[letters_length - 1 - i];
    }
    if (index <= *column || index > MAX_COLUMN) return UNUSUAL;
    *column = index;
    long style = -1;
    if (s != NULL) {
        style = digits_value(s->value, s->value_length, 6);
        if (style < 0 || style >= PyBytes_GET_SIZE(self->quoted)) return UNUSUAL;
    }
    int kind = T_NONE;
    if (t != NULL) {
        if (t->value_length == 1 && t->value[0] == 's') kind = T_SHARED;
        else if (t->value_length == 9 && memcmp(t->value, "inlineStr", 9) == 0) kind = T_INLINE;
        else return UNUSUAL;
    }
    if (empty) { *after = p; return DONE; }
    p = skip_space(p, end);
    if (end - p < 3) return MORE;
    PyObject *value = NULL;
    if (p[1] == '/') {                               /* <c ...></c>: no value */
        found = end_tag(p, end, "c", after);
        return found;
    }
    if (p[0] != '<') return UNUSUAL;
    if ((found = tag_is(p + 1, end, "v")) != 1) {
        if (found == MORE) return MORE;
        if ((found = tag_is(p + 1, end, "is")) != 1) return found == MORE ? MORE : UNUSUAL;
        if (kind != T_INLINE) return UNUSUAL;        /* <is>: an inline string */
        found = read_attributes(p + 3, end, self, attrs, &count, &empty, &p);
        if (found != DONE) return found;
        if (empty || count) return UNUSUAL;
        p = skip_space(p, end);
        if (end - p < 3) return MORE;
        if (p[0] != '<' || (found = tag_is(p + 1, end, "t")) != 1) return found == MORE ? MORE : UNUSUAL;
        found = read_attributes(p + 2, end, self, attrs, &count, &empty, &p);
        if (found != DONE) return found;
        if (empty) {
            value = PyUnicode_FromStringAndSize("", 0);
        } else {
            const char *close = memchr(p, '<', end - p);
            if (close == NULL) return MORE;
            const char *past;
            if ((found = end_tag(close, end, "t", &past)) != DONE) return found;
            if ((found = read_text(p, close - p, 1, &value)) != DONE) return found;
            p = past;
        }
        if (value == NULL) return FAILED;
        p = skip_space(p, end);
        if ((found = end_tag(p, end, "is", &p)) != DONE) { Py_DECREF(value); return found; }
    } else {                                         /* <v>: a shared string's index or a number */
        if (kind == T_INLINE) return UNUSUAL;
        found = read_attributes(p + 2, end, self, attrs, &count, &empty, &p);
        if (found != DONE) return found;
        if (count) return UNUSUAL;
        if (!empty) {
            const char *close = memchr(p, '<', end - p);
            if (close == NULL) return MORE;
            const char *past;
            if ((found = end_tag(close, end, "v", &past)) != DONE) return found;
            Py_ssize_t n = close - p;
            if (n > 0 && kind == T_SHARED) {
                long string = digits_value(p, n, 9);
                if (string < 0 || string >= PyList_GET_SIZE(self->strings)) return UNUSUAL;
                value = PyList_GET_ITEM(self->strings, string);
                Py_INCREF(value);
            } else if (n > 0) {
                if (style >= 0 && PyBytes_AS_STRING(self->dated)[style]) return UNUSUAL;
                value = number_value(p, n);
                if (value == NULL) { if (PyErr_Occurred()) return FAILED; return UNUSUAL; }
            }
            p = past;
        }
        if (value == NULL) {                         /* <v/> or <v></v>: no value */
            p = skip_space(p, end);
            return end_tag(p, end, "c", after);
        }
    }
    p = skip_space(p, end);
    if ((found = end_tag(p, end, "c", after)) != DONE) { Py_DECREF(value); return found; }
    PyObject *cell = self->cell_type->tp_alloc(self->cell_type, 5);
    if (cell == NULL) { Py_DECREF(value); return FAILED; }
    char ref[16];
    memcpy(ref, letters, letters_length);
    memcpy(ref + letters_length, row_digits, row_digits_length);
    PyObject *number = PyLong_FromLong(index);
    PyObject *coordinate = PyUnicode_FromStringAndSize(ref, letters_length + row_digits_length);
    PyObject *quoted = style >= 0 && PyBytes_AS_STRING(self->quoted)[style] ? Py_True : Py_False;
    Py_INCREF(quoted);
    PyObject *kind_name = kind == T_NONE ? self->kind_n : self->kind_s;
    Py_INCREF(kind_name);
    PyTuple_SET_ITEM(cell, 0, number);
    PyTuple_SET_ITEM(cell, 1, coordinate);
    PyTuple_SET_ITEM(cell, 2, value);
    PyTuple_SET_ITEM(cell, 3, kind_name);
    PyTuple_SET_ITEM(cell, 4, quoted);
    if (number == NULL || coordinate == NULL || PyList_Append(cells, cell)) { Py_DECREF(cell); return FAILED; }
    Py_DECREF(cell);
    return DONE;
}

/* One <row> at p (after "<row"): DONE with *row = (number, cells). */
static int read_row(Scanner *self, const char *p, const char *end, PyObject **row, const char **after)
{
    Attribute attrs[MAX_ATTRS];
    int count, empty;
    int found = read_attributes(p, end, self, attrs, &count, &empty, &p);
    if (found != DONE) return found;
    const Attribute *r = attribute(attrs, count, "r");
    if (r == NULL) return UNUSUAL;
    long number = digits_value(r->value, r->value_length, 7);
    if (number < 1) return UNUSUAL;
    PyObject *cells = PyList_New(0);
    if (cells == NULL) return FAILED;
    long column = 0;
    while (!empty) {
        p = skip_space(p, end);
        if (end - p < 3) { found = MORE; break; }
        if (p[0] != '<') { found = UNUSUAL; break; }
        if (p[1] == '/') {
            found = end_tag(p, end, "row", &p);
            break;
        }
        if ((found = tag_is(p + 1, end, "c")) != 1) { if (found != MORE) found = UNUSUAL; break; }
        found = read_cell(self, p + 2, end, r->value, r->value_length, &column, cells, &p);
        if (found != DONE) break;
    }
    if (found != DONE) { Py_DECREF(cells); return found; }
    *row = Py_BuildValue("(lN)", number, cells);
    if (*row == NULL) return FAILED;
    *after = p;
    return DONE;
}

static int add_bytes(PyObject *items, const char *start, const char *end)
{
    if (end <= start) return 0;
    PyObject *part = PyBytes_FromStringAndSize(start, end - start);
    if (part == NULL) return -1;
    int failed = PyList_Append(items, part);
    Py_DECREF(part);
    return failed;
}

/* The head, up to and including <sheetData ...>: checks that the document is one this file reads. */
static int scan_head(Scanner *self, const char *p, const char *end, int final, const char **after)
{
    Attribute attrs[MAX_ATTRS];
    const char *name;
    Py_ssize_t name_length;
    int kind, count;
    if (!self->rooted && p < end) {
        unsigned char first = (unsigned char)*p;
        if (first == 0xFE || first == 0xFF || first == 0) { self->phase = REST; *after = p; return DONE; }
    }
    while (p < end) {
        int found = skip_token(p, end, after, &kind, &name, &name_length, attrs, &count);
        if (found == MORE && !final) { *after = p; return DONE; }
        if (found != DONE) { self->phase = REST; *after = p; return DONE; }
        if (p[0] == '<' && p[1] == '?' && end - p > 5 && memcmp(p, "<?xml", 5) == 0 && is_space(p[5])) {
            const char *encoding = NULL;     /* the declaration: only UTF-8 is read here */
            for (const char *q = p; q + 8 < *after; q++)
                if (memcmp(q, "encoding", 8) == 0) { encoding = q + 8; break; }
            if (encoding != NULL) {
                encoding = skip_space(encoding, *after);
                if (encoding < *after && *encoding == '=') encoding = skip_space(encoding + 1, *after);
                if (!(*after - encoding > 7 && (encoding[0] == '"' || encoding[0] == '\'') &&
                      PyOS_strnicmp(encoding + 1, "utf-8", 5) == 0 && encoding[6] == encoding[0])) {
                    self->phase = REST; *after = p; return DONE;
                }
            }
        }
        if (kind == 1 || kind == 3) {
            if (!self->rooted) {
                const Attribute *xmlns = attribute(attrs, count, "xmlns");
                self->rooted = 1;
                if (kind == 3 || name_length != 9 || memcmp(name, "worksheet", 9) != 0 || xmlns == NULL ||
                    xmlns->value_length != (Py_ssize_t)strlen(SML) || memcmp(xmlns->value, SML, strlen(SML)) != 0) {
                    self->phase = REST; *after = p; return DONE;
                }
                for (int i = 0; i < count; i++) {   /* xmlns:x on the root: attributes may use x: */
                    if (!(attrs[i].name_length > 6 && memcmp(attrs[i].name, "xmlns:", 6) == 0)) continue;
                    Py_ssize_t length = attrs[i].name_length - 6;
                    int clash = length >= MAX_PREFIX || self->prefix_count >= MAX_PREFIXES;
                    for (int j = 0; j < i && !clash; j++)   /* two prefixes for one namespace: lxml decides */
                        clash = attrs[j].name_length > 6 && memcmp(attrs[j].name, "xmlns:", 6) == 0 &&
                                attrs[j].value_length == attrs[i].value_length &&
                                memcmp(attrs[j].value, attrs[i].value, attrs[i].value_length) == 0;
                    if (clash) { self->prefix_count = 0; break; }
                    memcpy(self->prefixes[self->prefix_count], attrs[i].name + 6, length);
                    self->prefixes[self->prefix_count++][length] = 0;
                }
            } else if (self->depth == 1 && name_length == 9 && memcmp(name, "sheetData", 9) == 0) {
                for (int i = 0; i < count; i++)
                    if (attrs[i].name_length >= 5 && memcmp(attrs[i].name, "xmlns", 5) == 0) kind = 3;
                if (kind == 3) { self->phase = REST; *after = p; return DONE; }
                self->phase = ROWS;
                self->depth++;
                return DONE;                 /* *after: just past <sheetData> */
            }
            if (kind == 1) self->depth++;
        } else if (kind == 2) {
            self->depth--;
        }
        p = *after;
    }
    *after = p;
    return DONE;
}

static PyObject *scan(Scanner *self, PyObject *args)
{
    Py_buffer data;
    int final;
    if (!PyArg_ParseTuple(args, "y*p", &data, &final)) return NULL;
    const char *start = data.buf, *p = start, *end = start + data.len, *after = p;
    PyObject *items = PyList_New(0);
    if (items == NULL) { PyBuffer_Release(&data); return NULL; }
    int failed = 0;
    if (self->phase == HEAD) {
        scan_head(self, p, end, final, &after);
        if (add_bytes(items, p, after)) failed = 1;
        p = after;
    }
    while (!failed && self->phase == ROWS) {
        p = skip_space(p, end);
        if (end - p < 12) {
            if (!final) break;
            self->phase = REST;
            break;
        }
        if (p[0] == '<' && tag_is(p + 1, end, "row") == 1) {
            PyObject *row = NULL;
            int found = read_row(self, p + 4, end, &row, &after);
            if (found == DONE) {
                failed = PyList_Append(items, row);
                Py_DECREF(row);
                p = after;
                continue;
            }
            if (found == FAILED) { failed = 1; break; }
            if (found == UNUSUAL) found = skip_element(p, end, &after);
            if (found == DONE) {                 /* the row goes to lxml */
                failed = add_bytes(items, p, after);
                p = after;
                continue;
            }
            if (found == MORE && !final && end - p < MAX_ROW_BYTES) break;
        }
        self->phase = REST;                      /* </sheetData> and after, or anything else: lxml */
    }
    if (!failed && self->phase == REST) {
        failed = add_bytes(items, p, end);
        p = end;
    }
    PyBuffer_Release(&data);
    if (failed) { Py_DECREF(items); return NULL; }
    return Py_BuildValue("(Nn)", items, (Py_ssize_t)(p - start));
}

static int scanner_init(Scanner *self, PyObject *args, PyObject *kwargs)
{
    PyObject *strings, *cell_type, *quoted, *dated;
    if (!PyArg_ParseTuple(args, "O!O!SS", &PyList_Type, &strings, &PyType_Type, &cell_type, &quoted, &dated)) return -1;
    if (!PyType_IsSubtype((PyTypeObject *)cell_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the cell type must be a tuple type");
        return -1;
    }
    if (PyBytes_GET_SIZE(quoted) != PyBytes_GET_SIZE(dated)) {
        PyErr_SetString(PyExc_ValueError, "one quoted and one date flag per style");
        return -1;
    }
    Py_INCREF(strings); Py_XSETREF(self->strings, strings);
    Py_INCREF(cell_type); Py_XSETREF(self->cell_type, (PyTypeObject *)cell_type);
    Py_INCREF(quoted); Py_XSETREF(self->quoted, quoted);
    Py_INCREF(dated); Py_XSETREF(self->dated, dated);
    Py_XSETREF(self->kind_s, PyUnicode_InternFromString("s"));
    Py_XSETREF(self->kind_n, PyUnicode_InternFromString("n"));
    if (self->kind_s == NULL || self->kind_n == NULL) return -1;
    self->phase = HEAD;
    self->depth = self->rooted = self->prefix_count = 0;
    return 0;
}

static void scanner_dealloc(Scanner *self)
{
    Py_XDECREF(self->strings);
    Py_XDECREF(self->cell_type);
    Py_XDECREF(self->quoted);
    Py_XDECREF(self->dated);
    Py_XDECREF(self->kind_s);
    Py_XDECREF(self->kind_n);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef scanner_methods[] = {
    {"scan", (PyCFunction)scan, METH_VARARGS,
     "scan(data, final) -> (items, consumed): rows read and bytes for lxml, in order, from the front of data"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "termbase.formats._sheetscan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Scanner(shared strings, Cell type, quoted flags, date flags): the common rows of one sheet",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)scanner_init,
    .tp_dealloc = (destructor)scanner_dealloc,
    .tp_methods = scanner_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sheetscan", "The common rows of an XLSX sheet, read in C.", -1, NULL};

PyMODINIT_FUNC PyInit__sheetscan(void)
{
    if (PyType_Ready(&ScannerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) { Py_DECREF(&ScannerType); Py_DECREF(m); return NULL; }
    return m;
}
