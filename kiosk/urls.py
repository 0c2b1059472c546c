from django.urls import path

from kiosk import (
    catalog_views,
    offline_views,
    outbox_views,
    photo_views,
    scanner_views,
    tablet_views,
    views,
)

app_name = "kiosk"

urlpatterns = [
    path("", views.home, name="home"),
    path("tablet/", tablet_views.tablet_setup, name="tablet-setup"),
    path("tablet/unlock/", tablet_views.unlock, name="unlock"),
    path("tablet/unlock/<int:user_id>/", tablet_views.unlock_pin, name="unlock-pin"),
    path("tablet/language/", tablet_views.associate_language, name="associate-language"),
    path("tablet/lock/", tablet_views.lock, name="lock"),
    path("tablet/still-here/", tablet_views.still_here, name="still-here"),
    path("service-worker.js", offline_views.service_worker, name="service-worker"),
    path("scanner-worker.js", scanner_views.scanner_worker, name="scanner-worker"),
    path("tablet/offline/", offline_views.offline_page, name="offline"),
    path("tablet/offline/home/", offline_views.home_shell, name="home-shell"),
    path("tablet/offline/review/", offline_views.review_shell, name="review-shell"),
    path("tablet/offline/result/", offline_views.result_shell, name="result-shell"),
    path("tablet/offline/steps/<slug:step>/", offline_views.step_shell, name="step-shell"),
    path("tablet/outbox/", outbox_views.outbox, name="outbox"),
    path("tablet/catalog/", catalog_views.catalog_copy_view, name="catalog-copy"),
    path("claims/new/", views.claim_new, name="claim-new"),
    path("claims/subdivisions/", views.subdivisions, name="subdivisions"),
    path("claims/postal-code/", views.postal_code_place_view, name="postal-code-place"),
    path("claims/customer/", views.customer_claims_view, name="customer-claims"),
    path("claims/<str:reference>/", views.claim_resume, name="claim-resume"),
    path("claims/<str:reference>/steps/<slug:step>/", views.claim_step, name="claim-step"),
    path("claims/<str:reference>/discard/", views.claim_discard, name="claim-discard"),
    path("claims/<str:reference>/language/", views.claim_language_view, name="claim-language"),
    path("claims/<str:reference>/submit/", views.claim_submit_view, name="claim-submit"),
    path("claims/<str:reference>/result/", views.claim_result, name="claim-result"),
    path("claims/<str:reference>/receipt/", views.claim_receipt, name="claim-receipt"),
    path("claims/<str:reference>/coverage/", views.claim_coverage_view, name="claim-coverage"),
    path(
        "claims/<str:reference>/catalog/",
        catalog_views.catalog_search_view,
        name="catalog-search",
    ),
    path("claims/<str:reference>/photos/", photo_views.photo_upload, name="photo-upload"),
    path(
        "claims/<str:reference>/photos/<int:pk>/remove/",
        photo_views.photo_remove,
        name="photo-remove",
    ),
    path("photos/<int:pk>/", photo_views.photo, name="photo"),
    path(
        "photos/<int:pk>/thumbnail/",
        photo_views.photo,
        {"thumbnail": True},
        name="photo-thumbnail",
    ),
]
