"""Enterprise Moments tasks (issue items: Moments): the form creates a task, the poll hands it to WeCom
(add_moment_task → jobid), reads the job until WeCom created it, then reads each employee's publish result, the
customers reached and the comments and likes."""

from __future__ import annotations

from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, poll, post_task, senders, tasks
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of


def test_a_task_goes_to_wecom_with_its_senders_tags_and_link(db, platform, admin, synced, sandbox):
    response = post_task(admin, db, synced.tenant_id, "zhangsan", "lisi", tags=("Gold",),
                         link=("冬季新品", "https://shop.example.com/winter"))
    assert response.status_code == 302
    [task] = tasks(db, synced.tenant_id)
    assert task.status == "queued" and task.jobid is None
    poll(db, platform, synced.tenant_id)
    [call] = sandbox[1].calls("/cgi-bin/externalcontact/add_moment_task")
    assert call["body"] == {"text": {"content": "双十二新品上市，到店试穿有礼"},
                            "attachments": [{"msgtype": "link", "link": {"title": "冬季新品",
                                                                         "url": "https://shop.example.com/winter"}}],
                            "visible_range": {"sender_list": {"user_list": ["zhangsan", "lisi"]},
                                              "external_contact_list": {"tag_list": ["etGold"]}}}
    [task] = tasks(db, synced.tenant_id)
    assert task.status == "created" and task.jobid and task.moment_id
    assert set(senders(db, task)) == {"zhangsan", "lisi"}


def test_creation_is_asynchronous_the_task_waits_for_the_wecom_job(db, platform, admin, synced, moments):
    moments.hold_jobs()
    post_task(admin, db, synced.tenant_id, "zhangsan")
    poll(db, platform, synced.tenant_id)
    [task] = tasks(db, synced.tenant_id)
    assert task.status == "creating" and task.jobid and task.moment_id is None
    poll(db, platform, synced.tenant_id)
    assert tasks(db, synced.tenant_id)[0].status == "creating"  # WeCom still answers status 2
    assert 'data-status="creating"' in admin.get(f"{BASE}/").text
    assert moments.complete_jobs() == 1
    poll(db, platform, synced.tenant_id)
    assert tasks(db, synced.tenant_id)[0].status == "created"


def test_results_per_employee_published_or_not_reached_comments_and_likes(db, platform, admin, synced, moments,
                                                                          tenant, enable_plugins):
    enable_plugins(tenant, "members")
    post_task(admin, db, synced.tenant_id, "zhangsan", "lisi")
    poll(db, platform, synced.tenant_id)
    [task] = tasks(db, synced.tenant_id)
    reached = moments.publish(task.moment_id, "zhangsan")
    assert sorted(reached) == ["wmAlice", "wmCarol"]
    moments.comment(task.moment_id, "zhangsan", "wmAlice", create_time=1765000000)
    moments.like(task.moment_id, "zhangsan", "wmAlice")
    moments.like(task.moment_id, "zhangsan", "wmCarol")
    response = admin.post(f"{BASE}/{task.id}/refresh")
    assert response.status_code == 302
    by_user = senders(db, task)
    assert (by_user["zhangsan"].published, by_user["zhangsan"].reached) == (True, 2)
    assert (by_user["zhangsan"].comments, by_user["zhangsan"].likes) == (1, 2)
    assert (by_user["lisi"].published, by_user["lisi"].reached) == (False, 0)
    page = admin.get(f"{BASE}/{task.id}").text
    assert 'data-stat="published">1/2<' in page and 'data-stat="likes">2<' in page
    assert page.count('data-kind="like"') == 2 and page.count('data-kind="comment"') == 1
    alice = customer_of(db, synced.tenant_id, "wmAlice")
    assert f"/customers/{alice.id}\">Alice<" in page  # the customer links to their profile
    # a second read adds nothing twice
    admin.post(f"{BASE}/{task.id}/refresh")
    assert admin.get(f"{BASE}/{task.id}").text.count('data-kind="like"') == 2
    row = admin.get(f"{BASE}/").text.split(f'data-task-id="{task.id}"')[1].split("</tr>")[0]
    assert 'data-stat="published">1/2<' in row and 'data-stat="comments">1<' in row


def test_tags_narrow_the_customers_who_see_it(db, platform, admin, synced, moments):
    post_task(admin, db, synced.tenant_id, "zhangsan", tags=("Gold",))
    poll(db, platform, synced.tenant_id)
    [task] = tasks(db, synced.tenant_id)
    assert moments.publish(task.moment_id, "zhangsan") == ["wmAlice"]  # Carol has no Gold tag


def test_a_sender_wecom_refuses_is_shown_as_not_allowed(db, platform, admin, synced, sandbox, moments):
    post_task(admin, db, synced.tenant_id, "zhangsan", "lisi")
    from wecom_sync_fixtures import seed

    data = seed()
    for user in data["users"]:
        if user["userid"] == "lisi":
            user["status"] = 5  # 李四 left in WeCom after the task was written here
    sandbox[1].seed(data)
    poll(db, platform, synced.tenant_id)
    [task] = tasks(db, synced.tenant_id)
    assert task.status == "created" and task.invalid_userids == ["lisi"]
    assert senders(db, task)["lisi"].invalid is True
    assert "data-userid=\"lisi\"" in admin.get(f"{BASE}/{task.id}").text


def test_a_task_wecom_refuses_fails_and_says_why(db, platform, admin, synced, sandbox):
    post_task(admin, db, synced.tenant_id, "zhangsan")
    sandbox[1].fail_next("/cgi-bin/externalcontact/add_moment_task", 40058)
    poll(db, platform, synced.tenant_id)
    [task] = tasks(db, synced.tenant_id)
    assert task.status == "failed" and task.error.startswith("40058")


def test_the_poll_stops_when_nothing_is_left_to_follow(db, platform, admin, synced):
    from scrm.sdk import ScheduledJob

    post_task(admin, db, synced.tenant_id, "zhangsan")
    db.commit()
    keys = [j.key for j in db.query(ScheduledJob).all()]
    assert f"wecom.moments.poll:{synced.tenant_id}" in keys
    poll(db, platform, synced.tenant_id)
    poll(db, platform, synced.tenant_id)  # created, followed for three days: the schedule stays
    job = db.query(ScheduledJob).filter(ScheduledJob.key == f"wecom.moments.poll:{synced.tenant_id}").one()
    assert job.status == "pending"
    from datetime import timedelta

    from scrm.sdk import utcnow

    poll(db, platform, synced.tenant_id, now=utcnow() + timedelta(days=4))  # past the follow window
    db.commit()
    job = db.query(ScheduledJob).filter(ScheduledJob.key == f"wecom.moments.poll:{synced.tenant_id}").one()
    assert job.status == "cancelled"


def test_the_job_sent_by_the_form_hands_the_task_to_wecom(db, admin, synced, worker):
    """The real job bus: the form's poll_moments job runs on the worker and creates the task in WeCom."""
    post_task(admin, db, synced.tenant_id, "zhangsan")
    worker.join()
    [task] = tasks(db, synced.tenant_id)
    assert task.status == "created" and task.moment_id
