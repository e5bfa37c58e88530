"""News text in eleven languages, each with the legacy encodings its scraped files come in.

Every language has a headline-length line (20-44 characters) and three paragraphs; a page is the
headline and the paragraphs, three times over (about 1,000-1,400 characters).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sample:
    short: str
    paragraphs: tuple[str, str, str]
    legacy: tuple[str, ...]  # Python codec names

    def text(self, length: str) -> str:
        if length == "short":
            return self.short + "\n"
        if length == "paragraph":
            return self.paragraphs[0] + "\n"
        return (self.short + "\n\n" + "\n\n".join(self.paragraphs) + "\n\n") * 3


SAMPLES: dict[str, Sample] = {
    "zh_hans": Sample(
        "国家统计局今天发布了前三季度的经济数据。",
        (
            "国家统计局今天发布的数据显示，今年前三季度国内生产总值同比增长百分之五点二，增速比上半年有所加快。"
            "专家认为，消费和投资的回升是经济稳定的主要原因。",
            "与此同时，多个城市出台了新的住房政策，降低首付比例并放宽购房限制。分析人士指出，这些措施有望在年底前"
            "提振房地产市场的信心。",
            "在北京举行的新闻发布会上，发言人表示，政府将继续加大对中小企业的支持力度，确保就业形势总体稳定。",
        ),
        ("gbk", "gb18030"),
    ),
    "zh_hant": Sample(
        "中央氣象署表示，颱風預計明天清晨在東部沿海登陸。",
        (
            "台灣中央氣象署今天表示，颱風預計明天清晨在東部沿海登陸，各地民眾應提前做好防颱準備。",
            "交通部宣布，部分國內航班和渡輪將暫停營運，鐵路公司也將視情況調整班次。",
            "行政院長在記者會上強調，政府已經啟動應變機制，並呼籲民眾避免前往山區和海邊。",
        ),
        ("big5",),
    ),
    "ja": Sample(
        "台風十号は、あす朝にも九州南部に上陸するおそれがあります。",
        (
            "気象庁によりますと、大型で強い台風十号は、あす朝にも九州南部に上陸するおそれがあります。",
            "政府は午前、関係閣僚会議を開き、住民の早めの避難と交通機関の運休に備えるよう呼びかけました。",
            "東京の株式市場では、円安を背景に輸出関連の銘柄が買われ、日経平均株価は三日連続で値上がりしました。",
        ),
        ("shift_jis", "euc_jp", "iso2022_jp"),
    ),
    "ko": Sample(
        "서울시는 다음 달부터 버스 요금을 인상한다.",
        (
            "서울시는 다음 달부터 시내버스와 지하철 기본요금을 150원 인상한다고 밝혔다.",
            "시는 적자가 계속 늘어나면서 요금 조정이 불가피하다고 설명했지만, "
            "시민단체는 서민 부담이 커질 것이라며 반발했다.",
            "한편 정부는 물가 안정을 위해 공공요금 인상 시기를 분산하도록 지방자치단체에 요청할 방침이다.",
        ),
        ("euc_kr",),
    ),
    "ru": Sample(
        "Банк России повысил ключевую ставку.",
        (
            "Центральный банк России в пятницу повысил ключевую ставку до шестнадцати процентов, сообщила "
            "пресс-служба регулятора.",
            "По словам аналитиков, решение было ожидаемым: инфляция в стране остаётся выше целевого уровня уже "
            "несколько месяцев.",
            "Эксперты не исключают, что в начале следующего года ставка может быть снижена, если рост цен замедлится.",
        ),
        ("cp1251", "koi8_r"),
    ),
    "de": Sample(
        "Straßenbahn fährt ab Montag öfter",
        (
            "Die Bundesregierung hat am Mittwoch ein neues Förderprogramm für Wärmepumpen beschlossen, das "
            "Hausbesitzern ab Januar höhere Zuschüsse gewährt.",
            "Der Wirtschaftsminister sagte, die Maßnahme solle den Ausstieg aus Öl- und Gasheizungen beschleunigen "
            "und die Bürger bei den Kosten entlasten.",
            "Kritik kam von der Opposition: Die Zuschüsse seien zu gering, und die Förderbedingungen für ältere "
            "Gebäude blieben unübersichtlich.",
        ),
        ("cp1252", "latin_1", "iso8859_2", "cp1250"),
    ),
    "fr": Sample(
        "Écoles rénovées dès la rentrée",
        (
            "Le gouvernement a présenté mercredi un projet de loi destiné à réduire la consommation d'énergie des "
            "bâtiments publics d'ici à la fin de la décennie.",
            "Selon le ministre, les collectivités pourront bénéficier d'aides supplémentaires pour rénover les "
            "écoles, les hôpitaux et les gymnases.",
            "Les syndicats français ont salué une « première étape », tout en réclamant un calendrier plus précis "
            "et des moyens garantis à long terme.",
        ),
        ("cp1252", "latin_1"),
    ),
    "en": Sample(
        "“It’s a start,” the mayor said — finally.",
        (
            "The city council voted on Tuesday to extend the night bus service — a move that officials said would "
            "cost about $2 million a year.",
            "“We’ve heard from shift workers for years,” said the council’s transport chair, adding that the first "
            "routes would start in March.",
            "Critics argued the money would be better spent on repairs; the vote passed 7–4 after a two-hour debate.",
        ),
        ("cp1252",),
    ),
    "el": Sample(
        "Νέα μέτρα στήριξης για τα νοικοκυριά",
        (
            "Η κυβέρνηση ανακοίνωσε σήμερα νέα μέτρα στήριξης για τα νοικοκυριά, με στόχο τη μείωση του κόστους "
            "ενέργειας τον χειμώνα.",
            "Σύμφωνα με τον υπουργό Οικονομικών, τα μέτρα θα χρηματοδοτηθούν από τα έσοδα του τουρισμού, που "
            "ξεπέρασαν τις προβλέψεις.",
            "Η αντιπολίτευση χαρακτήρισε τις ανακοινώσεις ανεπαρκείς και ζήτησε μόνιμη μείωση του φόρου στα καύσιμα.",
        ),
        ("iso8859_7", "cp1253"),
    ),
    "ar": Sample(
        "وزارة الصحة تطلق حملة وطنية للتطعيم",
        (
            "أعلنت وزارة الصحة اليوم عن إطلاق حملة وطنية للتطعيم ضد الإنفلونزا الموسمية في جميع المحافظات.",
            "وقال المتحدث باسم الوزارة إن الحملة ستستمر لمدة شهر، وستكون مجانية لكبار السن والأطفال.",
            "ودعت الوزارة المواطنين إلى التوجه إلى أقرب مركز صحي للحصول على اللقاح في أسرع وقت.",
        ),
        ("cp1256", "iso8859_6"),
    ),
    "he": Sample(
        "משרד האוצר פרסם את תחזית הצמיחה",
        (
            "משרד האוצר פרסם היום את תחזית הצמיחה המעודכנת, לפיה המשק יצמח השנה בשלושה אחוזים.",
            "לדברי הכלכלן הראשי, הירידה באבטלה והעלייה בצריכה הפרטית תרמו לשיפור בתחזית.",
            "עם זאת, באוצר מזהירים כי האינפלציה עדיין גבוהה וכי בנק ישראל עשוי להעלות את הריבית.",
        ),
        ("cp1255", "iso8859_8"),
    ),
    "pl": Sample(
        "Rząd obniży ceny prądu dla gospodarstw",
        (
            "Rząd przyjął we wtorek projekt ustawy, który ma obniżyć ceny energii dla gospodarstw domowych w "
            "przyszłym roku.",
            "Minister klimatu podkreślił, że pieniądze na ten cel pochodzą z opłat za emisję dwutlenku węgla.",
            "Opozycja zarzuca rządowi, że zmiany wprowadzono zbyt późno, a samorządy nie zdążą przygotować się do "
            "ich wdrożenia.",
        ),
        ("cp1250", "iso8859_2"),
    ),
}

#: Unicode encodings every language is also tried in (the BOM ones with their BOM)
UNICODE = ("utf_8", "utf_8_sig", "utf_16_le_bom", "utf_16_be_bom")
LENGTHS = ("short", "paragraph", "page")


def encode(text: str, codec: str) -> bytes:
    """``text`` in ``codec``; the ``*_bom`` codecs put a byte-order mark first."""
    if codec == "utf_16_le_bom":
        return b"\xff\xfe" + text.encode("utf_16_le")
    if codec == "utf_16_be_bom":
        return b"\xfe\xff" + text.encode("utf_16_be")
    return text.encode(codec)
