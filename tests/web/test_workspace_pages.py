"""The start page, a workspace's home and an app's home: what each user sees, and what stays hidden."""

from __future__ import annotations

from flask.testing import FlaskClient

EN = {"Accept-Language": "en"}


def test_start_page_goes_to_the_only_workspace(logged_in, make_user, workspace) -> None:
    response = logged_in(make_user(workspace)).get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/w/{workspace.slug}/"


def test_start_page_lists_several_workspaces(logged_in, make_user, make_workspace, session) -> None:
    first, second = make_workspace(name="Beta Team"), make_workspace(name="Alpha Team")
    user = make_user(first)
    from formflow.accounts.models import Membership

    session.add(Membership(workspace_id=second.id, user_id=user.id, role="member"))
    session.commit()
    page = logged_in(user).get("/", headers=EN).get_data(as_text=True)
    assert "Choose a workspace" in page
    assert page.index("Alpha Team") < page.index("Beta Team")
    assert f'href="/w/{first.slug}/"' in page


def test_start_page_without_workspace_explains_what_to_do(logged_in, make_user) -> None:
    page = logged_in(make_user()).get("/", headers=EN).get_data(as_text=True)
    assert "You are not in any workspace yet." in page


def test_workspace_home_lists_apps_with_their_forms(logged_in, make_user, workspace, make_app,
                                                    make_form) -> None:
    app = make_app(workspace, key="crm", name={"en": "Sales CRM", "zh-CN": "销售管理"})
    make_form(app, key="leads", name={"en": "Leads", "zh-CN": "线索"})
    page = logged_in(make_user(workspace)).get(f"/w/{workspace.slug}/", headers=EN).get_data(as_text=True)
    assert f'href="/w/{workspace.slug}/apps/crm/"' in page
    assert "Sales CRM" in page
    assert "Leads" in page


def test_workspace_home_shows_labels_in_chinese(logged_in, make_user, workspace, make_app, make_form) -> None:
    make_form(make_app(workspace))
    page = logged_in(make_user(workspace)).get(f"/w/{workspace.slug}/",
                                               headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "销售管理" in page
    assert "线索" in page


def test_members_do_not_see_unpublished_forms_or_empty_apps(logged_in, make_user, workspace, make_app,
                                                            make_form) -> None:
    crm = make_app(workspace, key="crm")
    make_form(crm, key="leads", name={"en": "Leads"})
    make_form(crm, key="drafty", name={"en": "Draft form"}, published=False)
    make_app(workspace, key="empty", name={"en": "Empty app"})
    page = logged_in(make_user(workspace)).get(f"/w/{workspace.slug}/", headers=EN).get_data(as_text=True)
    assert "Leads" in page
    assert "Draft form" not in page
    assert "Empty app" not in page


def test_admins_see_drafts_and_empty_apps(logged_in, make_user, workspace, make_app, make_form) -> None:
    crm = make_app(workspace, key="crm")
    make_form(crm, key="drafty", name={"en": "Draft form"}, published=False)
    make_app(workspace, key="empty", name={"en": "Empty app"})
    client = logged_in(make_user(workspace, role="admin"))
    page = client.get(f"/w/{workspace.slug}/", headers=EN).get_data(as_text=True)
    assert "Draft form" in page
    assert "Empty app" in page
    app_page = client.get(f"/w/{workspace.slug}/apps/crm/", headers=EN).get_data(as_text=True)
    assert "Draft, not published yet" in app_page


def test_workspace_of_someone_else_is_not_found(logged_in, make_user, make_workspace) -> None:
    mine, theirs = make_workspace(), make_workspace(name="Other")
    response = logged_in(make_user(mine)).get(f"/w/{theirs.slug}/", headers=EN)
    assert response.status_code == 404
    assert "Other" not in response.get_data(as_text=True)


def test_unknown_workspace_is_not_found(logged_in, make_user, workspace) -> None:
    assert logged_in(make_user(workspace)).get("/w/no-such-place/").status_code == 404


def test_app_of_another_workspace_is_not_found(logged_in, make_user, make_workspace, make_app) -> None:
    mine, theirs = make_workspace(), make_workspace()
    make_app(theirs, key="secret")
    assert logged_in(make_user(mine)).get(f"/w/{mine.slug}/apps/secret/").status_code == 404


def test_app_home_lists_its_forms(logged_in, make_user, workspace, make_app, make_form) -> None:
    app = make_app(workspace, key="crm")
    make_form(app, key="leads", name={"en": "Leads"})
    make_form(app, key="deals", name={"en": "Deals"})
    page = logged_in(make_user(workspace)).get(f"/w/{workspace.slug}/apps/crm/",
                                               headers=EN).get_data(as_text=True)
    assert "Leads" in page
    assert "Deals" in page
    assert 'aria-current="page">Sales CRM</a>' in page


def test_navigation_lists_the_workspace_apps(logged_in, make_user, workspace, make_app, make_form) -> None:
    make_form(make_app(workspace, key="crm", name={"en": "Sales CRM"}))
    make_form(make_app(workspace, key="service", name={"en": "Service desk"}), key="tickets")
    page = logged_in(make_user(workspace)).get(f"/w/{workspace.slug}/", headers=EN).get_data(as_text=True)
    nav = page[page.index('<nav class="site-nav"'):page.index("</nav>")]
    assert "Sales CRM" in nav
    assert "Service desk" in nav
    assert f'href="/w/{workspace.slug}/" aria-current="page"' in nav


def test_layout_shows_the_user_and_a_logout_form(logged_in, make_user, workspace) -> None:
    page = logged_in(make_user(workspace, name="Grace Hopper")).get(f"/w/{workspace.slug}/",
                                                                    headers=EN).get_data(as_text=True)
    assert "Grace Hopper" in page
    assert 'action="/logout"' in page


def test_anonymous_visitors_are_sent_to_login(client: FlaskClient, workspace) -> None:
    response = client.get(f"/w/{workspace.slug}/apps/crm/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
