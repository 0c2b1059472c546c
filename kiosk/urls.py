from django.urls import path

from kiosk import views

app_name = "kiosk"

urlpatterns = [
    path("", views.home, name="home"),
    path("claims/new/", views.claim_new, name="claim-new"),
    path("claims/subdivisions/", views.subdivisions, name="subdivisions"),
    path("claims/customer/", views.customer_claims_view, name="customer-claims"),
    path("claims/<str:reference>/", views.claim_resume, name="claim-resume"),
    path("claims/<str:reference>/steps/<slug:step>/", views.claim_step, name="claim-step"),
    path("claims/<str:reference>/submit/", views.claim_submit_view, name="claim-submit"),
    path("claims/<str:reference>/result/", views.claim_result, name="claim-result"),
]
