#include "engine/domain/stored_words.hpp"

namespace xyp {

const word_list& matter_code_words() {
  static const word_list words{
      {"ENTERPRISE-REGISTRATION", "FOOD-OPERATION", "PUBLIC-PLACE-HYGIENE", "CONSTRUCTION-PERMIT",
       "DRUG-RETAIL", "ROAD-FREIGHT", "TOBACCO-RETAIL", "POLLUTANT-DISCHARGE", "ENERGY-REVIEW",
       "HR-SERVICE", "PUBLICATION-RETAIL", "SPECIAL-EQUIPMENT-REGISTRATION", "HAZCHEM-OPERATION"}};
  return words;
}

const word_list& department_words() {
  static const word_list words{
      {// shilong
       "石龙区市场监督管理局", "石龙区卫生健康委员会", "石龙区住房和城乡建设局", "石龙区交通运输局",
       "石龙区烟草专卖局", "平顶山市生态环境局石龙分局", "石龙区发展和改革委员会",
       "石龙区人力资源和社会保障局", "石龙区文化广电和旅游局", "石龙区应急管理局",
       // zaozhuang
       "枣庄高新区行政审批局", "枣庄市烟草专卖局", "枣庄市生态环境局高新区分局",
       "枣庄高新区经济发展局",
       // zalantun
       "扎兰屯市市场监督管理局", "扎兰屯市卫生健康委员会", "扎兰屯市住房和城乡建设局",
       "扎兰屯市交通运输局", "扎兰屯市烟草专卖局", "呼伦贝尔市生态环境局扎兰屯市分局",
       "扎兰屯市发展和改革委员会", "扎兰屯市人力资源和社会保障局", "扎兰屯市文化旅游体育局",
       "扎兰屯市应急管理局",
       // qingzhou
       "青州市市场监督管理局", "青州市卫生健康局", "青州市住房和城乡建设局", "青州市交通运输局",
       "青州市烟草专卖局", "潍坊市生态环境局青州分局", "青州市发展和改革局",
       "青州市人力资源和社会保障局", "青州市文化和旅游局", "青州市应急管理局"}};
  return words;
}

const word_list& material_words() {
  static const word_list words{{"application_form",
                                "id_card",
                                "articles_of_association",
                                "premises_lease",
                                "appointment_documents",
                                "business_license",
                                "floor_plan",
                                "food_safety_rules",
                                "equipment_list",
                                "health_certificate",
                                "food_safety_officer_certificate",
                                "hygiene_rules",
                                "hygiene_inspection_report",
                                "land_use_certificate",
                                "planning_permit",
                                "construction_contract",
                                "construction_drawing_review",
                                "funds_proof",
                                "supervision_contract",
                                "safety_measures",
                                "pharmacist_certificate",
                                "quality_rules",
                                "vehicle_license",
                                "driver_qualification",
                                "safety_rules",
                                "parking_lease",
                                "vehicle_inspection_report",
                                "env_impact_approval",
                                "self_monitoring_plan",
                                "pollution_control_facilities",
                                "project_approval",
                                "energy_assessment_report",
                                "energy_metering_plan",
                                "staff_qualifications",
                                "service_rules",
                                "equipment_product_certificate",
                                "installation_inspection_certificate",
                                "operator_certificate",
                                "safety_officer_certificate",
                                "emergency_plan",
                                "safety_evaluation_report"}};
  return words;
}

const word_list& privilege_words() {
  static const word_list words{{"appointment", "agent_assistance", "free_express_delivery",
                                "startup_package", "commit_to_enter", "dedicated_team",
                                "notify_and_commit", "green_channel", "deficiency_acceptance",
                                "door_to_door", "inspection_waiver", "vip_specialist",
                                "online_service", "instant_approval", "one_window_acceptance",
                                "simulated_approval", "at_most_one_trip"}};
  return words;
}

const word_list& credit_source_words() {
  static const word_list words{{"公共信用信息平台"}};
  return words;
}

}  // namespace xyp
