from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from orderloop.reviews.services import review_open_due, reviews_flag_breaches


@db_periodic_task(crontab(minute="*/10"))
def check_review_deadline():
    """Open last month's review with its due time; tell the director once if it is late."""
    review_open_due()
    return reviews_flag_breaches()
