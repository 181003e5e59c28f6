from termbase import arabic


def test_normalize_folds_diacritics_hamza_ta_marbuta_alef_maqsura():
    assert arabic.normalize("النَّشْرَة") == "النشره"
    assert arabic.normalize("أإآٱ") == "اااا"
    assert arabic.normalize("مستشفى") == "مستشفي"
    assert arabic.normalize("الإنتـــربول") == "الانتربول"


def test_normalize_folds_presentation_forms_and_bidi():
    assert arabic.normalize("\ufee0\ufe8e") == arabic.normalize("لا")
    assert arabic.normalize("\u200fالنشرة\u202c") == "النشره"


def test_clitics():
    assert arabic.strip_clitics("وبالنشره")[-1] == "نشره"
    assert arabic.strip_clitics("للاطفال") == ("للاطفال", "اطفال", "الاطفال")
    assert arabic.strip_clitics("فالنشره")[-1] == "نشره"
    assert arabic.strip_clitics("كالنشره")[-1] == "نشره"
    assert arabic.strip_clitics("من") == ("من",)      # never reduced to a lone letter


def test_search_key():
    assert arabic.search_key("بالنَّشْرَة الخضراء") == arabic.search_key("النشره الخضراء") == arabic.search_key("النشرة الخضراء")
