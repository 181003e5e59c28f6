/* termbase site search: docs/search.md in the browser, over the index `termbase site` wrote
   (termbase/site/searchdata.py). No framework, no request outside this site. The functions of
   part 1 mirror src/termbase/search.py, matcher.py and arabic.py one for one; the tests hold them
   against Python on random text. Lengths count code points, as Python's len() does. */
(function () {
  "use strict";

  // --- 1. From text to words (spec §1) -------------------------------------------------------

  const SPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";
  const SPACES = new RegExp("[" + SPACE + "]+");
  const TRIM = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");
  const WORD_CHAR = /^[\p{L}\p{N}\p{Mn}\p{Mc}\p{Cf}]$/u;
  const SOFT = new Set(["-", "\u2010", "\u2011", "/", "#", "@", "+", "_"]);
  const APOSTROPHES = new Set(["'", "\u2019"]);
  const ASCII_LETTER = /^[A-Za-z]$/;
  const ABBREVIATION = /(?<![A-Za-z0-9.])(?:[A-Za-z]\.){2,}/g;
  const PRESENTATION = /[\ufb50-\ufdff\ufe70-\ufeff]/g;
  const HAS_PRESENTATION = /[\ufb50-\ufdff\ufe70-\ufeff]/;
  const ARABIC = /[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]/;
  const ASCII = /^[\x00-\x7f]*$/;
  const FOLD = new Map();
  for (let c = 0x064b; c <= 0x0652; c++) FOLD.set(String.fromCharCode(c), "");
  for (const ch of "\u0670\u0640\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c\u200b\u200c\u200d\u2060\ufeff\u00ad") FOLD.set(ch, "");
  for (const [from, to] of [["أ", "ا"], ["إ", "ا"], ["آ", "ا"], ["ٱ", "ا"], ["ى", "ي"], ["ة", "ه"], ["\u2019", "'"],
                            ["\u2018", "'"], ["\u2010", "-"], ["\u2011", "-"], ["\u2013", "-"], ["\u00a0", " "]]) FOLD.set(from, to);
  const BOUNDARY = null;

  function cpLength(s) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff) n++;
    }
    return n;
  }
  function compareCodePoints(a, b) {          // Python's string order (UTF-16 order differs past U+FFFF)
    const x = Array.from(a), y = Array.from(b);
    for (let i = 0; i < x.length && i < y.length; i++) {
      if (x[i] !== y[i]) return x[i].codePointAt(0) - y[i].codePointAt(0);
    }
    return x.length - y.length;
  }
  function lower(s) { return s.toLowerCase(); }   // str.lower(), final sigma rule included
  function isArabic(s) { return ARABIC.test(s); }
  function isEnglish(s) { return ASCII.test(s) && ASCII_LETTER.test(s.slice(0, 1)); }

  function normalizeWord(word) {              // arabic.normalize_word
    if (HAS_PRESENTATION.test(word)) word = word.replace(PRESENTATION, (ch) => ch.normalize("NFKC"));
    word = word.normalize("NFC");
    let out = "";
    for (const ch of word) {
      const to = FOLD.get(ch);
      out += to === undefined ? ch : to;
    }
    return lower(out);
  }

  function splitChunk(chunk) {                // matcher.split_chunk, words only
    const chars = Array.from(chunk);
    const n = chars.length, pieces = [];
    let start = -1;
    for (let i = 0; i < n; i++) {
      const ch = chars[i];
      if (WORD_CHAR.test(ch)) { if (start < 0) start = i; continue; }
      if (APOSTROPHES.has(ch) && start >= 0 && ASCII_LETTER.test(chars[i - 1]) &&
          ((i + 1 < n && ASCII_LETTER.test(chars[i + 1])) || chars[i - 1] === "s" || chars[i - 1] === "S")) continue;
      if (start >= 0) { pieces.push(normalizeWord(chars.slice(start, i).join(""))); start = -1; }
      if (!SOFT.has(ch) && (pieces.length === 0 || pieces[pieces.length - 1] !== BOUNDARY)) pieces.push(BOUNDARY);
    }
    if (start >= 0) pieces.push(normalizeWord(chars.slice(start).join("")));
    return pieces.filter((p) => p === BOUNDARY || p);
  }

  function undot(text) {
    return text.indexOf(".") < 0 ? text : text.replace(ABBREVIATION, (m) => m.replace(/\./g, ""));
  }

  function words(text) {                      // search.words
    const out = [];
    for (const chunk of undot(text).split(SPACES)) {
      if (!chunk) continue;
      for (const piece of splitChunk(chunk)) if (piece !== BOUNDARY) out.push(piece);
    }
    return out;
  }

  function strip(text) { return text.replace(TRIM, ""); }

  let CASEFOLD = new Map();
  function fold(text) {                       // search.fold: NFC, case folded, trimmed
    let out = "";
    for (const ch of strip(text).normalize("NFC")) {
      const to = CASEFOLD.get(ch);
      out += to === undefined ? ch.toLowerCase() : to;
    }
    return out;
  }

  // --- 2. Match keys (spec §2) ----------------------------------------------------------------

  const CLITIC_LETTERS = new Set(["و", "ف", "ب", "ك", "ل"]);
  const PROCLITICS = new Set(["و", "ف"]);
  const PREPOSITIONS = new Set(["ب", "ك", "ل"]);
  const AR_SUFFIXES = ["ات", "ون", "ين", "ان"];

  function peel(word) {
    while (cpLength(word) > 2) {
      if (CLITIC_LETTERS.has(word[0])) word = word.slice(1);
      else if (word.startsWith("ال") && cpLength(word) > 3) word = word.slice(2);
      else break;
    }
    return word;
  }
  function stripArabicSuffix(stem) {
    for (const suffix of AR_SUFFIXES) {
      if (stem.endsWith(suffix) && cpLength(stem) - 2 >= 2) { stem = stem.slice(0, -2); break; }
    }
    const last = stem.slice(-1);
    if ((last === "ه" || last === "ت") && cpLength(stem) - 1 >= 2) stem = stem.slice(0, -1);
    return stem;
  }
  function stripEnglishSuffix(word) {
    if (word.endsWith("'s")) word = word.slice(0, -2);
    else if (word.endsWith("'")) word = word.slice(0, -1);
    if (word.length > 4 && word.endsWith("ies")) return word.slice(0, -3) + "y";
    if (word.endsWith("sses")) return word.slice(0, -2);
    if (word.length > 4 && ["ches", "shes", "xes", "zes"].some((s) => word.endsWith(s))) return word.slice(0, -2);
    if (word.length > 3 && word.endsWith("s") && !["ss", "us", "is"].some((s) => word.endsWith(s))) return word.slice(0, -1);
    return word;
  }
  function tokenKey(word) {                   // matcher.token_key
    if (isArabic(word)) return stripArabicSuffix(peel(word));
    if (isEnglish(word)) return stripEnglishSuffix(word);
    return word;
  }
  const clitics = new Map();
  function stripClitics(word) {               // arabic.strip_clitics
    let found = clitics.get(word);
    if (found) return found;
    const out = [word];
    let rest = word;
    const done = () => { found = Array.from(new Set(out)); clitics.set(word, found); return found; };
    if (PROCLITICS.has(rest[0]) && cpLength(rest) - 1 >= 2) { rest = rest.slice(1); out.push(rest); }
    if (rest.startsWith("لل") && cpLength(rest) - 2 >= 2) {
      out.push(rest.slice(2)); out.push("ال" + rest.slice(2));
      return done();
    }
    if (PREPOSITIONS.has(rest[0]) && cpLength(rest) - 1 >= 2) { rest = rest.slice(1); out.push(rest); }
    if (rest.startsWith("ال") && cpLength(rest) - 2 >= 2) out.push(rest.slice(2));
    return done();
  }
  const forms = new Map();
  function acceptedForms(token) {             // matcher.accepted_forms
    let found = forms.get(token);
    if (found) return found;
    found = new Set([token]);
    if (isArabic(token)) {
      if (!AR_SUFFIXES.some((s) => token.endsWith(s))) for (const s of AR_SUFFIXES) found.add(token + s);
      if (token.endsWith("ه")) { const stem = token.slice(0, -1); for (const s of ["ات", "تان", "تين"]) found.add(stem + s); }
      if (token.endsWith("ي")) for (const s of ["ه", "ات", "ون", "ين"]) found.add(token + s);
      if (token.startsWith("ال") && cpLength(token) > 3) found.add(token.slice(2));
    } else if (isEnglish(token)) {
      for (const s of ["s", "'s", "s'", "'"]) found.add(token + s);
      if (["s", "x", "z", "ch", "sh"].some((s) => token.endsWith(s))) found.add(token + "es");
      if (token.endsWith("y") && token.length > 2) found.add(token.slice(0, -1) + "ies");
    }
    forms.set(token, found);
    return found;
  }
  function tokenKeys(token) {                 // matcher.token_keys
    const keys = new Set();
    for (const form of acceptedForms(token)) keys.add(tokenKey(form));
    return keys;
  }
  function tokenMatches(textToken, termToken) {
    if (textToken === termToken) return true;
    const allowed = acceptedForms(termToken);
    if (isArabic(termToken)) return stripClitics(textToken).some((stem) => allowed.has(stem));
    return allowed.has(textToken);
  }
  function ftsWord(key) { return key.replace(/'/g, ""); }
  const STEM = "\u00b7";                      // marks a word's stems among its keys (search.STEM)
  const docKeys = new Map();
  function wordDocKeys(token) {               // search.surface_keys((token,)).split()
    let found = docKeys.get(token);
    if (!found) {
      found = new Set();
      const keys = [...tokenKeys(token)].map(ftsWord).concat(stems(token).map((stem) => STEM + ftsWord(stem)));
      for (const k of keys) for (const part of k.split(" ")) if (part) found.add(part);
      docKeys.set(token, found);
    }
    return found;
  }

  // --- 3. Classes (spec §3), as search.py decides them ---------------------------------------

  const CLASSES = ["exact", "normalized", "words", "prefix", "fuzzy", "definition"];
  const STOP = new Set("a an the and or of in on at to for from by with في من إلى على عن مع".split(" ").map(normalizeWord));
  const MIN_PREFIX = 2;

  function fullMatch(q, t) { return tokenMatches(q, t) || tokenMatches(t, q); }
  function stems(word) { return isArabic(word) ? stripClitics(word) : [word]; }
  function prefixMatch(q, t) {
    for (const a of stems(q)) {
      if (cpLength(a) < MIN_PREFIX) continue;
      for (const b of stems(t)) if (b.startsWith(a)) return true;
    }
    return false;
  }
  function typoBudget(word) { const n = cpLength(word); return n < 4 ? 0 : n < 8 ? 1 : 2; }
  const SURROGATE = /[\ud800-\udfff]/;
  function levenshtein(a, b, cutoff) {        // edit distance of code points, cutoff + 1 when over
    const x = SURROGATE.test(a) ? Array.from(a) : a, y = SURROGATE.test(b) ? Array.from(b) : b;
    if (Math.abs(x.length - y.length) > cutoff) return cutoff + 1;
    let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
    for (let i = 1; i <= x.length; i++) {
      const row = [i];
      let smallest = i;
      for (let j = 1; j <= y.length; j++) {
        const v = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        row.push(v);
        if (v < smallest) smallest = v;
      }
      if (smallest > cutoff) return cutoff + 1;
      previous = row;
    }
    return Math.min(previous[y.length], cutoff + 1);
  }
  function fuzzyDistance(q, t) {
    const budget = typoBudget(q);
    if (!budget) return null;
    const key = tokenKey(q);
    let best = budget + 1;
    for (const k of tokenKeys(t)) best = Math.min(best, levenshtein(key, k, budget));
    return best <= budget ? best : null;
  }

  class Query {
    constructor(text) {
      this.text = strip(text);
      this.folded = fold(this.text);
      this.words = words(this.text);
      const required = this.words.filter((w) => !STOP.has(w));
      this.required = required.length ? required : this.words.slice();
    }
    keysOf(word) {
      const keys = new Set();
      for (const k of tokenKeys(word)) keys.add(ftsWord(k));
      keys.add(ftsWord(tokenKey(word)));
      return keys;
    }
  }

  function classify(query, tokens, stage) {   // search.classify: [class, score] or null
    if (!tokens.length) return null;
    const covered = new Set();
    let worst = 0, distance = 0;
    for (const word of query.required) {
      let kind = null;
      tokens.forEach((token, position) => {
        if (fullMatch(word, token)) { covered.add(position); if (kind === null) kind = 0; }
      });
      if (kind === null && (stage === "prefix" || stage === "fuzzy")) {
        for (let p = 0; p < tokens.length; p++) {
          if (prefixMatch(word, tokens[p])) { covered.add(p); kind = 1; break; }
        }
      }
      if (kind === null && stage === "fuzzy") {
        let found = null;
        tokens.forEach((token, position) => {
          const d = fuzzyDistance(word, token);
          if (d !== null && (found === null || d < found[0] || (d === found[0] && position < found[1]))) found = [d, position];
        });
        if (found) { covered.add(found[1]); kind = 2; distance += found[0]; }
      }
      if (kind === null) return null;
      worst = Math.max(worst, kind);
    }
    const coverage = 100.0 * covered.size / tokens.length;
    if (worst === 0) {
      if (tokens.length === query.words.length && query.words.every((w, i) => fullMatch(w, tokens[i]))) return ["normalized", 100.0];
      return ["words", coverage];
    }
    if (worst === 1) return ["prefix", coverage];
    return ["fuzzy", coverage - 10.0 * distance];
  }

  function pyRound(x, digits) {               // Python's round(x, n): the exact value, ties to even
    const exact = x.toFixed(100);
    const dot = exact.indexOf(".");
    const rest = exact.slice(dot + 1 + digits);
    if (/^50*$/.test(rest)) {
      const kept = exact.slice(0, dot + 1 + digits).replace(/\.$/, "");
      const last = +kept.slice(-1);
      if (last % 2 === 0) return +kept;
    }
    return +x.toFixed(digits);
  }

  // --- 4. Loading the index files (script tags: works from file:// too) ----------------------

  const base = (function () {
    const me = document.currentScript && document.currentScript.src;
    return me ? new URL("../search/", me).href : "search/";
  })();
  const waiting = new Map(), loaded = new Map();
  function put(name, data) {
    loaded.set(name, data);
    const w = waiting.get(name);
    if (w) { waiting.delete(name); w.resolve(data); }
  }
  function load(name) {
    if (loaded.has(name)) return Promise.resolve(loaded.get(name));
    let entry = waiting.get(name);
    if (entry) return entry.promise;
    entry = {};
    entry.promise = new Promise((resolve, reject) => { entry.resolve = resolve; entry.reject = reject; });
    waiting.set(name, entry);
    const tag = document.createElement("script");
    tag.src = base + name + ".js";
    tag.charset = "utf-8";
    tag.onerror = () => { waiting.delete(name); entry.reject(new Error("cannot load " + tag.src)); };
    tag.onload = () => tag.remove();
    document.head.appendChild(tag);
    return entry.promise;
  }
  let manifest = null;
  async function ready() {
    if (!manifest) {
      manifest = await load("index");
      CASEFOLD = new Map(Object.entries(manifest.casefold));
      manifest.prefixIndex = new Map(manifest.prefixes.map((prefix, i) => [prefix, i]));
    }
    return manifest;
  }

  function crc32(text) {
    const bytes = new TextEncoder().encode(text);
    let c = ~0;
    for (const b of bytes) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return (~c) >>> 0;
  }

  function bucketOf(key) {                    // the deepest bucket prefix `key` starts with
    const chars = Array.from(key);
    for (let n = chars.length; n > 0; n--) {
      const at = manifest.prefixIndex.get(chars.slice(0, n).join(""));
      if (at !== undefined) return at;
    }
    return null;
  }
  function bucketsWithPrefix(stem) {
    const found = new Set();
    for (const [prefix, at] of manifest.prefixIndex) if (prefix.startsWith(stem)) found.add(at);
    const own = bucketOf(stem);
    if (own !== null) found.add(own);
    return [...found];
  }
  async function keyEntry(key) {
    const at = bucketOf(key);
    if (at === null) return null;
    const bucket = await load("k/" + at);
    return Object.prototype.hasOwnProperty.call(bucket, key) ? bucket[key] : null;
  }
  function entrySize(entry) { return Array.isArray(entry) ? entry.length / 2 : entry.n; }

  function postingStream(entry) {             // a key's postings as [word count, surface], in order, a page at a time
    const pages = Array.isArray(entry) ? null : entry.f;
    let flat = pages ? null : entry, page = 0, i = 0, size = 0, sid = 0;
    return async function next() {
      while (flat === null || i >= flat.length) {
        if (pages === null || page >= pages.length) return null;
        flat = await load("r/" + pages[page++]);
        i = 0; size = 0; sid = 0;             // each page is coded afresh
      }
      const step = flat[i], value = flat[i + 1];
      i += 2;
      if (step === 0) sid += value; else { size += step; sid = value; }
      return [size, sid];
    };
  }
  function merged(streams) {                  // several streams as one, in order, each posting once
    const heads = new Array(streams.length).fill(undefined);
    let last = null;
    return async function next() {
      for (;;) {
        await Promise.all(streams.map(async (stream, j) => { if (heads[j] === undefined) heads[j] = await stream(); }));
        let pick = -1;
        heads.forEach((head, j) => {
          if (head && (pick < 0 || head[0] < heads[pick][0] || (head[0] === heads[pick][0] && head[1] < heads[pick][1]))) pick = j;
        });
        if (pick < 0) return null;
        const head = heads[pick];
        heads[pick] = undefined;
        if (last && head[0] === last[0] && head[1] === last[1]) continue;
        last = head;
        return head;
      }
    };
  }

  async function forward(sid) {               // [words, concept number] of a surface
    const file = await load("s/" + Math.floor(sid / manifest.surfaceChunk));
    const record = file[sid % manifest.surfaceChunk];
    return [record.slice(1), record[0]];
  }
  async function summary(cidx) {
    const file = await load("f/" + Math.floor(cidx / manifest.chunk));
    return file.c[cidx % manifest.chunk];
  }

  // --- 5. Search (search.search) -------------------------------------------------------------

  const CANDIDATE_LIMIT = 20;
  const BATCH = 32;                           // candidates whose surface files are fetched together

  async function search(text, limit) {
    limit = limit || CANDIDATE_LIMIT;
    const query = new Query(text);
    if (!query.text) return [];
    await ready();
    const best = new Map();
    function offer(cidx, order, hit) {
      const held = best.get(cidx);
      if (!held || lessThan(order, held[0])) best.set(cidx, [order, hit]);
    }
    const exact = (await load("x/" + (crc32(query.folded) % manifest.exactFiles)))[query.folded] || [];
    for (let i = 0; i < exact.length; i += 2) {
      offer(exact[i], [0, -100, exact[i + 1]], { concept: exact[i], rank: "exact", score: 100 });
    }
    if (query.words.length) {
      for (const stage of ["words", "prefix", "fuzzy"]) {
        if (best.size >= limit) break;
        await termStage(query, stage, limit, offer);
      }
      if (best.size < limit) await definitionStage(query, limit, offer);
    }
    const ranked = [...best.values()].sort((a, b) => (lessThan(a[0], b[0]) ? -1 : lessThan(b[0], a[0]) ? 1 : 0));
    return ranked.slice(0, limit).map((item) => item[1]);
  }
  function lessThan(a, b) {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
    return false;
  }

  function prefixKeys(word) {                // search.prefix_keys
    return [...new Set(stems(word).filter((stem) => cpLength(stem) >= MIN_PREFIX).map((stem) => STEM + ftsWord(stem)))];
  }
  async function conditions(query, stage) {   // per required word: the keys a candidate must hold
    const near = stage === "fuzzy" ? await nearWords(query) : new Map();
    if (stage === "fuzzy" && ![...near.values()].some((keys) => keys.length)) return null;
    if (stage === "prefix" && !query.required.some((word) => prefixKeys(word).length)) return null;
    return query.required.map((word) => {
      const keys = query.keysOf(word);
      for (const k of near.get(word) || []) keys.add(k);
      return { keys, prefixes: stage === "words" ? [] : prefixKeys(word) };
    });
  }
  async function postingsOf(condition) {      // [[key, entry] …] of the keys a condition accepts
    const found = new Map();
    await Promise.all([...condition.keys].map(async (key) => {
      const entry = await keyEntry(key);
      if (entry) found.set(key, entry);
    }));
    for (const prefix of condition.prefixes) {
      const buckets = await Promise.all(bucketsWithPrefix(prefix).map((at) => load("k/" + at)));
      for (const bucket of buckets) {
        for (const key of Object.keys(bucket)) if (key.startsWith(prefix)) found.set(key, bucket[key]);
      }
    }
    return [...found.values()];
  }
  function holds(condition, keys) {
    for (const k of keys) {
      if (condition.keys.has(k)) return true;
      for (const prefix of condition.prefixes) if (k.startsWith(prefix)) return true;
    }
    return false;
  }

  async function termStage(query, stage, limit, offer) {
    // search._term_stage: candidates fewest words first, then in tie order (the surface
    // numbering); once `limit` concepts are found, at most limit × CANDIDATES more of that length
    const conds = await conditions(query, stage);
    if (!conds) return;
    const lists = await Promise.all(conds.map(postingsOf));
    let driver = 0;
    const totals = lists.map((entries) => entries.reduce((sum, e) => sum + entrySize(e), 0));
    totals.forEach((total, i) => { if (total < totals[driver]) driver = i; });
    const next = merged(lists[driver].map(postingStream));
    const want = limit * manifest.candidates, found = new Set();
    let lastSize = null, since = 0, done = false;
    while (!done) {
      const batch = [];                       // verified in order; fetched together
      for (let candidate; batch.length < BATCH && (candidate = await next());) batch.push(candidate);
      if (!batch.length) return;
      const records = await Promise.all(batch.map(([, sid]) => forward(sid)));
      for (let b = 0; b < batch.length; b++) {
        const [size, sid] = batch[b];
        const [tokens, cidx] = records[b];
        const keys = new Set();
        for (const t of tokens) for (const k of wordDocKeys(t)) keys.add(k);
        if (!conds.every((c, j) => j === driver || holds(c, keys))) continue;
        if (found.size >= limit) {
          since++;
          if (size !== lastSize || since > want) { done = true; break; }
        }
        lastSize = size;
        const verdict = classify(query, tokens, stage);
        if (!verdict) continue;
        const score = pyRound(verdict[1], 1);
        found.add(cidx);
        offer(cidx, [CLASSES.indexOf(verdict[0]), -score, sid], { concept: cidx, rank: verdict[0], score });
      }
    }
  }

  const unfronted = new Map();
  function unfront(text) {                    // searchdata.front_coded, decoded (once per file)
    let found = unfronted.get(text);
    if (found) return found;
    found = [];
    let previous = "", start = 0;
    while (start < text.length) {
      const end = text.indexOf("\n", start);
      const shared = text.charCodeAt(start) - 0x30;
      previous = previous.slice(0, shared) + text.slice(start + 1, end);
      found.push(previous);
      start = end + 1;
    }
    unfronted.set(text, found);
    return found;
  }
  async function nearWords(query) {           // search._near_words
    const near = new Map();
    for (const word of query.required) {
      const budget = typoBudget(word);
      const key = ftsWord(tokenKey(word));
      if (!budget || /\p{Nd}/u.test(word)) continue;      // search.plain: no fuzzy numbers
      const n = cpLength(key);
      const lengths = manifest.lengths.filter((l) => l >= n - budget && l <= n + budget);
      const lists = await Promise.all(lengths.map((l) => load("v/" + l).then(unfront)));
      const scored = [];                      // the vocabulary is in code-point order: ties go by it
      for (const list of lists) {
        for (const choice of list) {
          const d = levenshtein(key, choice, budget);
          if (d <= budget) scored.push([d, choice]);
        }
      }
      scored.sort((a, b) => a[0] - b[0] || compareCodePoints(a[1], b[1]));
      near.set(word, scored.slice(0, 50).map((s) => s[1]));
    }
    return near;
  }

  async function definitionEntry(key) {     // [postings or {n, f}] of a definition key, or null
    const file = await load("d/" + (crc32(key) % manifest.definitionFiles));
    return Object.prototype.hasOwnProperty.call(file, key) ? file[key] : null;
  }
  function definitionCount(entry) { return !entry ? 0 : Array.isArray(entry) ? entry.length / 5 : entry.n; }
  async function definitionPostings(entry) { return Array.isArray(entry) ? entry : load("dr/" + entry.f); }

  const settings = { fewDefinitions: 64 };   // below this many, candidates are checked in their own records
  async function definitionStage(query, limit, offer) {
    const K1 = 1.2, B = 0.75, N = manifest.definitions, AVG = manifest.averageLength;
    const phrases = [];
    const perWord = [];
    for (const word of query.required) {
      const keys = [...query.keysOf(word)].sort(compareCodePoints);
      phrases.push(...keys);
      perWord.push(keys);
    }
    const entries = new Map();
    await Promise.all([...new Set(phrases)].map(async (k) => entries.set(k, await definitionEntry(k))));
    const counts = perWord.map((keys) => keys.reduce((sum, k) => sum + definitionCount(entries.get(k)), 0));
    const driver = counts.indexOf(Math.min(...counts));
    if (!counts[driver]) return;
    const rows = new Map();                   // concept * 64 + language -> {cidx, length, chars, tf}
    if (counts[driver] <= settings.fewDefinitions) {  // the rarest word's definitions, read whole
      const wanted = new Set();
      for (const k of perWord[driver]) {
        const entry = entries.get(k);
        if (!entry) continue;
        const flat = await definitionPostings(entry);
        for (let i = 0, cidx = 0; i < flat.length; i += 5) { cidx += flat[i]; wanted.add(cidx * 64 + flat[i + 1]); }
      }
      const chunks = new Set([...wanted].map((id) => Math.floor(Math.floor(id / 64) / manifest.chunk)));
      await Promise.all([...chunks].map(async (chunk) => {
        for (const record of await load("df/" + chunk)) {
          const cidx = chunk * manifest.chunk + record[0];
          if (!wanted.has(cidx * 64 + record[1])) continue;
          const tf = new Map();
          for (let i = 4; i < record.length; i += 2) tf.set(record[i], record[i + 1]);
          rows.set(cidx * 64 + record[1], { cidx, length: record[2], chars: record[3], tf });
        }
      }));
    } else {                                  // every phrase's postings
      await Promise.all([...entries].map(async ([key, entry]) => {
        if (!entry) return;
        const flat = await definitionPostings(entry);
        for (let i = 0, cidx = 0; i < flat.length; i += 5) {
          cidx += flat[i];
          const id = cidx * 64 + flat[i + 1];
          let row = rows.get(id);
          if (!row) { row = { cidx, length: flat[i + 3], chars: flat[i + 4], tf: new Map() }; rows.set(id, row); }
          row.tf.set(key, flat[i + 2]);
        }
      }));
    }
    const idf = phrases.map((k) => {          // as SQLite FTS5's bm25()
      const n = definitionCount(entries.get(k));
      const v = Math.log((N - n + 0.5) / (n + 0.5));
      return v <= 0.0 ? 1e-6 : v;
    });
    const scored = [];
    for (const row of rows.values()) {
      if (!perWord.every((keys) => keys.some((k) => row.tf.has(k)))) continue;
      let score = 0.0;
      phrases.forEach((k, i) => {
        const f = row.tf.get(k) || 0;
        score += idf[i] * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * row.length / AVG)));
      });
      scored.push([score, row]);
    }
    scored.sort((a, b) => b[0] - a[0] || a[1].cidx - b[1].cidx);
    for (const [raw, row] of scored.slice(0, limit)) {
      const score = pyRound(raw, 3);
      offer(row.cidx, [5, -score, row.chars, row.cidx], { concept: row.cidx, rank: "definition", score });
    }
  }

  // --- 6. The combobox on index.html ---------------------------------------------------------

  const WHY = { exact: "the term itself", normalized: "the same term, normalized", words: "every word in the term",
                prefix: "words the term's words begin with", fuzzy: "a similar spelling", definition: "found in the definition" };

  function start() {
    const input = document.getElementById("q");
    const list = document.getElementById("results");
    const status = document.getElementById("search-status");
    const form = document.getElementById("search-form");
    if (!input || !list) return;
    let sequence = 0, timer = null, active = -1;

    function remember(text) {                 // ?q= in the address, so Back returns to these results
      try { history.replaceState(null, "", "?q=" + encodeURIComponent(text)); } catch (error) { /* an opaque origin */ }
    }
    function options() { return Array.from(list.querySelectorAll('[role="option"]')); }
    function select(i) {
      const all = options();
      if (!all.length) return;
      active = (i + all.length) % all.length;
      all.forEach((o, j) => o.setAttribute("aria-selected", j === active ? "true" : "false"));
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function clear() {
      list.textContent = "";
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    async function run() {
      const mine = ++sequence;
      const text = input.value;
      if (!strip(text)) { clear(); status.textContent = ""; return; }
      status.textContent = "Searching…";
      let hits;
      try { hits = await search(text, CANDIDATE_LIMIT); } catch (error) { status.textContent = "Search is unavailable: " + error.message; return; }
      if (mine !== sequence) return;
      clear();
      if (!hits.length) { status.textContent = "No match."; list.dataset.query = text; remember(text); return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = hits.length + (hits.length === 1 ? " result" : " results") + ", best first. Use the arrow keys and Enter.";
      const items = hits.map((hit, i) => {
        const li = document.createElement("li");
        li.setAttribute("role", "none");
        const a = document.createElement("a");
        a.id = "result-" + i;
        a.setAttribute("role", "option");
        a.setAttribute("aria-selected", "false");
        a.tabIndex = -1;
        a.dataset.rank = hit.rank;
        li.appendChild(a);
        list.appendChild(li);
        return [hit, a];
      });
      list.dataset.query = "";
      for (const [hit, a] of items) {         // the first result shows as soon as its concept is in
        const [page, en, ar] = await summary(hit.concept);
        if (mine !== sequence) return;
        a.href = "c/" + page + ".html";
        a.dataset.concept = page;
        const english = document.createElement("bdi");
        english.className = "en";
        english.textContent = en || page;
        const arabic = document.createElement("bdi");
        arabic.className = "ar";
        arabic.lang = "ar";
        arabic.dir = "rtl";
        arabic.textContent = ar;
        const why = document.createElement("span");
        why.className = "why";
        why.textContent = WHY[hit.rank];
        a.append(english, arabic, why);
      }
      list.dataset.query = text;
      remember(text);
    }
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 30); });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); select(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); select(active - 1); }
      else if (event.key === "Escape") { clear(); }
      else if (event.key === "Enter") {
        event.preventDefault();
        const all = options();
        const chosen = all[active >= 0 ? active : 0];
        if (chosen && chosen.href) window.location.href = chosen.href;
      }
    });
    if (form) form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
    const asked = new URLSearchParams(window.location.search).get("q");
    if (asked) { input.value = asked; run(); }
  }

  window.TermbaseSearch = {
    put, search, ready, settings,
    analysis: { words, normalizeWord, tokenKey, tokenKeys, acceptedForms, stripClitics, wordDocKeys, prefixKeys, fold,
                classify, Query, pyRound },
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
