/* The common case of glossary._load_text in C: one YAML document read straight from libyaml's
 * event stream into dicts, lists and text (a plain null spelling is None), with no Python event
 * object made per scalar.
 *
 * load(text) returns (data,) when the document is the common case, or None when the Python path
 * must decide: anchors, aliases, tags, a second document, a key that is not text, a key given
 * twice, nesting deeper than MAX_DEPTH, or any YAML error. The Python path then gives the same
 * data or the error with its line and column, so the two never disagree
 * (tests/test_glossary.py compares them).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64

static int is_null(const char *value, size_t length)
{
    return length == 0 || (length == 1 && value[0] == '~') ||
           (length == 4 && (!memcmp(value, "null", 4) || !memcmp(value, "Null", 4) || !memcmp(value, "NULL", 4)));
}

/* Put `value` (a new reference, given up) where the document is: 0 done, 1 the Python path must
 * decide, -1 a Python error. A container becomes the current one. */
static int place(PyObject *value, PyObject **stack, int *depth, PyObject **key, PyObject **root)
{
    PyObject *current = *depth ? stack[*depth - 1] : NULL;
    int container = PyDict_CheckExact(value) || PyList_CheckExact(value);
    if (current != NULL && PyDict_CheckExact(current)) {
        if (*key == NULL) {
            if (!PyUnicode_CheckExact(value)) { Py_DECREF(value); return 1; }
            int seen = PyDict_Contains(current, value);
            if (seen != 0) { Py_DECREF(value); return seen < 0 ? -1 : 1; }
            *key = value;
            return 0;
        }
        int failed = PyDict_SetItem(current, *key, value);
        Py_CLEAR(*key);
        if (failed) { Py_DECREF(value); return -1; }
        Py_DECREF(value);                   /* the dict holds it */
    } else if (current != NULL) {
        if (PyList_Append(current, value)) { Py_DECREF(value); return -1; }
        Py_DECREF(value);
    } else {
        if (*root != NULL) { Py_DECREF(value); return 1; }
        *root = value;
    }
    if (container) {
        if (*depth >= MAX_DEPTH) return 1;
        stack[(*depth)++] = value;          /* borrowed: its parent (or root) holds it */
    }
    return 0;
}

static PyObject *load(PyObject *self, PyObject *args)
{
    const char *text;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "s#", &text, &size))
        return NULL;
    yaml_parser_t parser;
    yaml_event_t event;
    if (!yaml_parser_initialize(&parser))
        return PyErr_NoMemory();
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, (size_t)size);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    PyObject *stack[MAX_DEPTH];
    PyObject *key = NULL, *root = NULL;
    int depth = 0, documents = 0, outcome = 0, finished = 0;
    while (!finished && outcome == 0) {
        if (!yaml_parser_parse(&parser, &event)) { outcome = 1; break; }
        PyObject *value = NULL;
        switch (event.type) {
        case YAML_STREAM_END_EVENT:
            finished = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) outcome = 1;
            break;
        case YAML_ALIAS_EVENT:
            outcome = 1;
            break;
        case YAML_SCALAR_EVENT:
            if (event.data.scalar.anchor || event.data.scalar.tag) { outcome = 1; break; }
            if (event.data.scalar.plain_implicit && is_null((const char *)event.data.scalar.value, event.data.scalar.length)) {
                Py_INCREF(Py_None);
                value = Py_None;
            } else {
                value = PyUnicode_DecodeUTF8((const char *)event.data.scalar.value, (Py_ssize_t)event.data.scalar.length, "strict");
                if (value == NULL) { outcome = -1; break; }
            }
            outcome = place(value, stack, &depth, &key, &root);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (event.type == YAML_SEQUENCE_START_EVENT ? (event.data.sequence_start.anchor || event.data.sequence_start.tag)
                                                        : (event.data.mapping_start.anchor || event.data.mapping_start.tag)) {
                outcome = 1;
                break;
            }
            value = event.type == YAML_SEQUENCE_START_EVENT ? PyList_New(0) : PyDict_New();
            if (value == NULL) { outcome = -1; break; }
            outcome = place(value, stack, &depth, &key, &root);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    Py_XDECREF(key);
    if (outcome != 0) {
        Py_XDECREF(root);
        if (outcome < 0) return NULL;
        Py_RETURN_NONE;
    }
    if (root == NULL) {
        Py_INCREF(Py_None);
        root = Py_None;
    }
    PyObject *result = PyTuple_Pack(1, root);
    Py_DECREF(root);
    return result;
}

static PyMethodDef methods[] = {
    {"load", load, METH_VARARGS, "(data,) of one YAML document, or None when the Python path must decide."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_yamlplain", NULL, -1, methods};

PyMODINIT_FUNC PyInit__yamlplain(void) { return PyModule_Create(&module); }
