"""Task templates of the stateful families: calendar, mail, to-do, notes, shopping."""

from __future__ import annotations

import re
from random import Random

from awpo.data.families.base import (
    Example,
    Family,
    Request,
    Run,
    ask,
    call,
    chain,
    missing_template,
    pair_template,
    pick,
    pick_n,
    q,
    run_step,
    single,
)
from awpo.tools.builtin import mail, shopping

_EVENTS = (
    "Dentist",
    "Team sync",
    "Yoga class",
    "Lunch with Ben",
    "Project review",
    "Piano lesson",
    "Call mom",
    "Budget meeting",
)
_TASKS = (
    "buy milk",
    "renew passport",
    "water the plants",
    "book a haircut",
    "pay rent",
    "return library books",
    "call the plumber",
)
_CONTACTS = ("ana@example.com", "ben@example.com", "carla@example.com", "dev@example.org", "team@example.net")


def _date(rng: Random) -> str:
    return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _time(rng: Random) -> str:
    return f"{rng.randint(7, 19):02d}:{pick(rng, ['00', '15', '30', '45'])}"


# ----------------------------------------------------------------------------- calendar


def _calendar_single(rng: Random) -> Example:
    title, date, time = pick(rng, _EVENTS), _date(rng), _time(rng)
    if rng.random() < 0.3:
        text = f"What's on my calendar on {date}?"
        return single(text, [date], f"list_events lists the events of {date}.", call("list_events", date=date))
    if rng.random() < 0.4:
        minutes = pick(rng, [30, 45, 90, 120])
        text = f"Schedule '{title}' on {date} at {time} for {minutes} minutes."
        return single(
            text,
            [title, date, time, f"{minutes} minutes"],
            "create_event with the title, date, time and duration.",
            call("create_event", title=title, date=date, time=time, duration_minutes=minutes),
        )
    text = pick(
        rng, [f"Add '{title}' to my calendar on {date} at {time}.", f"Put {title} in the calendar for {date}, {time}."]
    )
    return single(
        text,
        [title, date, time],
        "create_event with the title, date and time (default duration).",
        call("create_event", title=title, date=date, time=time),
    )


def _calendar_parallel(rng: Random) -> Example:
    (t1, t2), date = pick_n(rng, _EVENTS, 2), _date(rng)
    h1, h2 = sorted(pick_n(rng, [f"{h:02d}:00" for h in range(8, 19)], 2))
    text = f"On {date}, add '{t1}' at {h1} and '{t2}' at {h2}."
    return single(
        text,
        [date, t1, h1, t2, h2],
        "Two events, two create_event calls on the same date.",
        call("create_event", title=t1, date=date, time=h1),
        call("create_event", title=t2, date=date, time=h2),
    )


def _calendar_missing(rng: Random) -> Example:
    title, date = pick(rng, _EVENTS), _date(rng)
    text = f"Add '{title}' to my calendar on {date}."
    return ask(text, [title, date], "a start time", "create_event", f"At what time on {date} should '{title}' start?")


def _calendar_multi(rng: Random, run: Run) -> Example:
    (t1, t2), date = pick_n(rng, _EVENTS, 2), _date(rng)
    h1, h2 = sorted(pick_n(rng, [f"{h:02d}:30" for h in range(8, 19)], 2))
    text = f"Add '{t2}' at {h2} and '{t1}' at {h1} on {date}, then tell me my first appointment that day."
    first = run_step(
        run,
        f"The user wants two events on {date} and then {q('my first appointment')}: create both.",
        call("create_event", title=t2, date=date, time=h2),
        call("create_event", title=t1, date=date, time=h1),
    )
    second = run_step(
        run, f"Both are created; list_events for {date} gives them in order.", call("list_events", date=date)
    )
    earliest = second.results[0]["events"][0]
    answer = f"Your first appointment on {date} is '{earliest['title']}' at {earliest['time']}."
    return chain(
        text, ["my first appointment"], [first, second], answer, f"The earliest listed is {earliest['title']}."
    )


CALENDAR = Family(
    name="calendar",
    module="awpo.tools.builtin.calendar_tools",
    single=_calendar_single,
    parallel=_calendar_parallel,
    missing=_calendar_missing,
    multi_step=_calendar_multi,
    topics=("a calendar",),
)

# ----------------------------------------------------------------------------- mail

_SUBJECTS = ("Meeting notes", "Invoice", "Weekend plans", "Quick question", "Thank you")
_BODIES = ("See you at 10.", "Please find the numbers below.", "Are you free on Saturday?", "Thanks for your help!")


def _mail_single(rng: Random) -> Example:
    if rng.random() < 0.4:
        word = pick(rng, ["report", "lunch", "password", "Lisbon", "budget", "digest"])
        text = pick(rng, [f"Search my inbox for '{word}'.", f"Do I have any emails about {word}?"])
        return single(text, [word], f"search_emails looks for {word!r}.", call("search_emails", query=word))
    to, subject, body = pick(rng, _CONTACTS), pick(rng, _SUBJECTS), pick(rng, _BODIES)
    text = f"Email {to} with the subject '{subject}' saying: {body}"
    return single(
        text,
        [to, subject, body],
        "send_email with the recipient, subject and body as given.",
        call("send_email", to=to, subject=subject, body=body),
    )


def _mail_parallel(rng: Random) -> Example:
    a, b = pick_n(rng, _CONTACTS, 2)
    subject, body = pick(rng, _SUBJECTS), pick(rng, _BODIES)
    text = f"Send '{subject}' to {a} and to {b}, with the text: {body}"
    return single(
        text,
        [subject, a, b, body],
        "The same message to two recipients: two send_email calls.",
        call("send_email", to=a, subject=subject, body=body),
        call("send_email", to=b, subject=subject, body=body),
    )


def _mail_missing(rng: Random) -> Example:
    subject, body = pick(rng, _SUBJECTS), pick(rng, _BODIES)
    text = f"Send an email with the subject '{subject}' saying: {body}"
    return ask(text, [subject], "a recipient address", "send_email", "Who should I send it to (email address)?")


def _mail_multi(rng: Random, run: Run) -> Example:
    msg = pick(rng, mail.INBOX)
    word = re.sub(r"\W", "", msg["subject"].split()[-1].lower())
    text = f"What does the email about {word} say?"
    first = run_step(
        run,
        f"The user asks about {q(f'the email about {word}')}; search for it first.",
        call("search_emails", query=word),
    )
    hit = first.results[0]["results"][0]
    second = run_step(run, f"Found {hit['id']} from {hit['from']}; read it.", call("read_email", message_id=hit["id"]))
    r = second.results[0]
    answer = f"The email from {r['from']} ('{r['subject']}') says: {r['body']}"
    return chain(text, [f"the email about {word}"], [first, second], answer, "read_email returned its text.")


MAIL = Family(
    name="mail",
    module="awpo.tools.builtin.mail",
    single=_mail_single,
    parallel=_mail_parallel,
    missing=_mail_missing,
    multi_step=_mail_multi,
    topics=("email",),
)

# ----------------------------------------------------------------------------- to-do


def _todo_single(rng: Random) -> Example:
    task = pick(rng, _TASKS)
    if rng.random() < 0.3:
        status = pick(rng, ["open", "done", "all"])
        phrase = {"open": "still open", "done": "already done", "all": "on my list, done or not"}[status]
        text = f"Which to-dos are {phrase}?"
        return single(text, [phrase], f"list_todos with status {status}.", call("list_todos", status=status))
    if rng.random() < 0.5:
        due = _date(rng)
        text = f"Remind me to {task} by {due}."
        return single(
            text, [task, due], "add_todo with the task and its due date.", call("add_todo", task=task, due_date=due)
        )
    text = pick(rng, [f"Add '{task}' to my to-do list.", f"Put {task} on my todo list."])
    return single(text, [task], "add_todo with the task.", call("add_todo", task=task))


def _todo_multi(rng: Random, run: Run) -> Example:
    a, b = pick_n(rng, _TASKS, 2)
    text = f"Add '{a}' and '{b}' to my list, then mark '{a}' as done and show me what's still open."
    first = run_step(
        run, f"The user wants {q(a)} and {q(b)} added first.", call("add_todo", task=a), call("add_todo", task=b)
    )
    id_a = first.results[0]["todo_id"]
    second = run_step(run, f"{a} got id {id_a}; complete it.", call("complete_todo", todo_id=id_a))
    third = run_step(run, "Now list what is still open.", call("list_todos", status="open"))
    still = [t["task"] for t in third.results[0]["todos"]]
    answer = f"Done: '{a}' is marked complete. Still open: {', '.join(still)}."
    return chain(text, [a, b], [first, second, third], answer, f"list_todos shows {', '.join(still)} open.")


TODO = Family(
    name="todo",
    module="awpo.tools.builtin.todo",
    single=_todo_single,
    parallel=pair_template(
        _TASKS, "Add two to-dos: {a}, and {b}.", "Two items, two add_todo calls.", "add_todo", "task"
    ),
    missing=missing_template(
        Request(("Add something to my to-do list.",), "the task", "add_todo", "What should I add to your to-do list?"),
        Request(("Mark my to-do as done.",), "which item", "complete_todo", "Which to-do item should I mark as done?"),
    ),
    multi_step=_todo_multi,
    topics=("a to-do list",),
)

# ----------------------------------------------------------------------------- notes

_NOTE_TITLES = ("groceries", "ideas", "packing list", "book club", "garden")
_NOTE_TEXTS = (
    "eggs, milk, bread",
    "try the new bakery",
    "passport and charger",
    "read chapter 4",
    "plant tomatoes in May",
)


def _notes_single(rng: Random) -> Example:
    title, content = pick(rng, _NOTE_TITLES), pick(rng, _NOTE_TEXTS)
    if rng.random() < 0.2:
        text = "What notes do I have?"
        return single(text, ["What notes do I have"], "list_notes returns the titles.", call("list_notes"))
    text = pick(rng, [f"Make a note called '{title}' that says '{content}'.", f"Save a note '{title}': {content}"])
    return single(
        text,
        [title, content],
        "create_note with the title and content.",
        call("create_note", title=title, content=content),
    )


def _notes_parallel(rng: Random) -> Example:
    (t1, t2), (c1, c2) = pick_n(rng, _NOTE_TITLES, 2), pick_n(rng, _NOTE_TEXTS, 2)
    text = f"Create two notes: '{t1}' with '{c1}', and '{t2}' with '{c2}'."
    return single(
        text,
        [t1, c1, t2, c2],
        "Two notes, two create_note calls.",
        call("create_note", title=t1, content=c1),
        call("create_note", title=t2, content=c2),
    )


def _notes_missing(rng: Random) -> Example:
    content = pick(rng, _NOTE_TEXTS)
    text = f"Write down '{content}' in a new note."
    return ask(text, [content], "a title", "create_note", "What should the note be called?")


def _notes_multi(rng: Random, run: Run) -> Example:
    title, (c1, c2) = pick(rng, _NOTE_TITLES), pick_n(rng, _NOTE_TEXTS, 2)
    text = f"Start a note '{title}' with '{c1}', add '{c2}' to it, then read it back to me."
    first = run_step(run, f"Create {q(title)} with {q(c1)} first.", call("create_note", title=title, content=c1))
    second = run_step(run, f"Now append {q(c2)}.", call("append_to_note", title=title, text=c2))
    third = run_step(run, "Read the note back.", call("read_note", title=title))
    content = third.results[0]["content"]
    answer = f"Your note '{title}' now reads:\n{content}"
    return chain(text, [title, c1, c2], [first, second, third], answer, "read_note returned both lines.")


NOTES = Family(
    name="notes",
    module="awpo.tools.builtin.notes",
    single=_notes_single,
    parallel=_notes_parallel,
    missing=_notes_missing,
    multi_step=_notes_multi,
    topics=("notes",),
)

# ----------------------------------------------------------------------------- shopping

_QUERIES = sorted(
    {p["category"] for p in shopping.PRODUCTS} | {"mouse", "keyboard", "cable", "tea", "coffee", "lamp", "mat"}
)


def _shopping_single(rng: Random) -> Example:
    product = pick(rng, shopping.PRODUCTS)
    if rng.random() < 0.5:
        qty = rng.randint(1, 4)
        text = (
            f"Add {qty} of {product['product_id']} to my cart."
            if qty > 1
            else f"Put {product['product_id']} in my cart."
        )
        return single(
            text,
            [product["product_id"]] + ([f"{qty} of"] if qty > 1 else []),
            "add_to_cart with the product id and quantity.",
            call("add_to_cart", product_id=product["product_id"], quantity=qty)
            if qty > 1
            else call("add_to_cart", product_id=product["product_id"]),
        )
    query = pick(rng, _QUERIES)
    if rng.random() < 0.5:
        price = pick(rng, [10, 20, 50, 100])
        text = f"Search for {query} under {price} dollars."
        return single(
            text,
            [query, f"under {price} dollars"],
            "search_products with a price limit.",
            call("search_products", query=query, max_price=price),
        )
    text = f"Do you sell any {query}?"
    return single(text, [query], "search_products by name or category.", call("search_products", query=query))


def _shopping_missing(rng: Random) -> Example:
    qty = rng.randint(2, 5)
    text = f"Add {qty} of them to my cart."
    return ask(text, [text], "which product", "add_to_cart", "Which product should I add (product id or name)?")


def _shopping_multi(rng: Random, run: Run) -> Example:
    query = pick(rng, ["mat", "cable", "tea", "lamp", "mouse", "coffee"])
    qty = rng.randint(1, 3)
    text = f"Add {qty} of the cheapest {query} to my cart and tell me the cart total."
    first = run_step(
        run,
        f"The user wants {q(f'the cheapest {query}')}; search sorts cheapest first.",
        call("search_products", query=query),
    )
    cheapest = first.results[0]["products"][0]
    second = run_step(
        run,
        f"{cheapest['name']} ({cheapest['product_id']}) is cheapest; add {qty}.",
        call("add_to_cart", product_id=cheapest["product_id"], quantity=qty),
    )
    third = run_step(run, "Now view the cart for the total.", call("view_cart"))
    total = third.results[0]["total"]
    answer = f"Added {qty} x {cheapest['name']} ({cheapest['price']} USD each); your cart total is {total} USD."
    return chain(text, [f"the cheapest {query}"], [first, second, third], answer, f"view_cart reports {total} USD.")


SHOPPING = Family(
    name="shopping",
    module="awpo.tools.builtin.shopping",
    single=_shopping_single,
    parallel=pair_template(_QUERIES, "Look up {a} and also {b}.", "Two searches.", "search_products", "query"),
    missing=_shopping_missing,
    multi_step=_shopping_multi,
    topics=("online shopping",),
)

FAMILIES = (CALENDAR, MAIL, TODO, NOTES, SHOPPING)
